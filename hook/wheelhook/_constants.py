"""The names the package, the start-up trigger and child processes agree on.

`_boot` keeps literal copies of these (it runs at interpreter start-up and imports nothing of
the package); a test pins each copy to the value here.
"""

__all__ = ["DISABLE_ENV", "LOCK_ENV", "REQUIRES_ENV", "SCRIPT_MARK"]

#: Environment variable holding requirements to activate, one per line: a parent's pins, or the
#: user's (children inherit it).
REQUIRES_ENV = "WHEELHOOK_REQUIRES"
#: Environment variable naming a PEP 751 lock file (`pylock.toml`) to activate: the user's, or a
#: parent's (set by every activation of a lock, so that children activate the same lock).
LOCK_ENV = "WHEELHOOK_LOCK"
#: Environment variable that turns site-wide activation off for one run (`1`).
DISABLE_ENV = "WHEELHOOK_DISABLE"
#: What opens a PEP 723 block; a file is only searched further when it holds this.
#: <https://packaging.python.org/en/latest/specifications/inline-script-metadata/>
SCRIPT_MARK = "# /// script"
