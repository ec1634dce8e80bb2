"""harken: from audio clips to a keyword-spotting model running on a microcontroller."""

from harken.errors import (
    AudioError,
    DatasetError,
    HarkenError,
    ModelFileError,
    SettingsError,
    SpecError,
)

__version__ = "0.1.0"

__all__ = [
    "AudioError",
    "DatasetError",
    "HarkenError",
    "ModelFileError",
    "SettingsError",
    "SpecError",
    "__version__",
]
