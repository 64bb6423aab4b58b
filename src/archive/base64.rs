//! URL-safe base64 (RFC 4648 §5), the encoding of `RECORD` digests, written without padding.
//!
//! <https://packaging.python.org/en/latest/specifications/binary-distribution-format/#the-dist-info-directory>

use thiserror::Error;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a string is not URL-safe base64.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Base64Error {
    #[error("invalid base64 character {0:?}")]
    Character(char),
    #[error("invalid base64 length {0}")]
    Length(usize),
    #[error("base64 has non-zero trailing bits")]
    TrailingBits,
}

/// Encodes `data` as URL-safe base64 without `=` padding. Ex) `[0xfb, 0xff]` -> `"-_8"`
pub fn urlsafe_b64encode_nopad(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 0x3F) as usize]));
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Decodes URL-safe base64, with or without trailing `=` padding; refuses the
/// standard alphabet's `+` and `/`, and non-canonical trailing bits.
pub fn urlsafe_b64decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_bytes();
    let unpadded = if bytes.len() % 4 == 0 {
        let pad = bytes
            .iter()
            .rev()
            .take(2)
            .take_while(|&&c| c == b'=')
            .count();
        &bytes[..bytes.len() - pad]
    } else {
        bytes
    };
    if unpadded.len() % 4 == 1 {
        return Err(Base64Error::Length(bytes.len()));
    }
    let mut out = Vec::with_capacity(unpadded.len() * 3 / 4);
    for chunk in unpadded.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let v = value(c).ok_or(Base64Error::Character(char::from(c)))?;
            n |= v << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        let all = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&all[..produced]);
        // The bits after the last whole byte must be zero, or two strings decode alike.
        if produced < 3 && all[produced] != 0 {
            return Err(Base64Error::TrailingBits);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(urlsafe_b64encode_nopad(plain.as_bytes()), encoded);
            assert_eq!(urlsafe_b64decode(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(urlsafe_b64decode("Zg==").unwrap(), b"f");
        assert_eq!(urlsafe_b64decode("Zm8=").unwrap(), b"fo");
    }

    #[test]
    fn ok_urlsafe_alphabet_round_trip() {
        let data: Vec<u8> = (0..=255u8).collect();
        let encoded = urlsafe_b64encode_nopad(&data);
        assert!(!encoded.contains(['+', '/', '=']));
        assert_eq!(urlsafe_b64decode(&encoded).unwrap(), data);
        assert_eq!(urlsafe_b64encode_nopad(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn err_invalid_input() {
        assert_eq!(
            urlsafe_b64decode("ab+d").unwrap_err().to_string(),
            "invalid base64 character '+'"
        );
        assert_eq!(
            urlsafe_b64decode("abcde").unwrap_err().to_string(),
            "invalid base64 length 5"
        );
        assert_eq!(
            urlsafe_b64decode("Zh").unwrap_err().to_string(),
            "base64 has non-zero trailing bits"
        );
        assert_eq!(
            urlsafe_b64decode("Zg=").unwrap_err().to_string(),
            "invalid base64 character '='"
        );
    }
}
