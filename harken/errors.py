"""The one error family of harken: every user-facing failure is a HarkenError.

The CLI turns a HarkenError into a one-line ``error: ...`` on stderr with exit code 2;
library callers can catch the specific subclass they care about.
"""

from __future__ import annotations


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
