"""The one error family of harken: every user-facing failure is a HarkenError.

The CLI turns a HarkenError into a one-line ``error: ...`` on stderr with exit code 2;
library callers can catch the specific subclass they care about.
"""

from __future__ import annotations

import errno


class HarkenError(Exception):
    """Root of every error harken raises on purpose (bad input, bad settings, bad files)."""


class SettingsError(HarkenError, ValueError):
    """A settings value is out of range, inconsistent or unknown."""


class AudioError(HarkenError):
    """An audio file or array cannot be used (not audio, empty, wrong format...)."""


class SpecError(HarkenError):
    """A model specification file is broken or cannot be found."""


class DatasetError(HarkenError):
    """A dataset folder, archive or download is unusable."""


class ModelFileError(HarkenError):
    """A .tflite / .keras / archive file is unreadable or lacks what is needed."""


class OutputError(HarkenError):
    """An output file or folder cannot be written (read-only, full disk, not a folder...)."""


def output_error(path: object, exc: OSError, *, what: str = "cannot write it") -> OutputError:
    """A one-line ``OutputError`` for an ``OSError`` met while writing ``path`` (the fix included).

    Examples
    --------
    >>> import errno
    >>> str(output_error("out/x.json", OSError(errno.ENOSPC, "No space left on device")))
    'out/x.json: cannot write it (No space left on device); free some space or choose another output folder'
    """
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "free some space or choose another output folder"
    else:
        fix = "check its permissions or choose another output folder"
    return OutputError(f"{path}: {what} ({reason}); {fix}")
