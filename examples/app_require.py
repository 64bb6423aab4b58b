"""An application that picks its versions in code, with `wheelhook.require()`."""

import importlib.metadata

import wheelhook

if __name__ == "__main__":
    for dist in wheelhook.require("six==1.15.0"):
        print(f"activated {dist.name} {dist.version} ({dist.kind})")
    import six

    print(f"six {six.__version__} (importlib.metadata: {importlib.metadata.version('six')})")
