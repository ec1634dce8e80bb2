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


def __getattr__(name: str):
    """``harken.ModelSpec`` on first use (keeps ``import harken`` light: no TensorFlow, no numba)."""
    if name == "ModelSpec":
        from harken.spec.model_spec import ModelSpec

        return ModelSpec
    raise AttributeError(f"module 'harken' has no attribute {name!r}")


__all__ = [
    "AudioError",
    "DatasetError",
    "HarkenError",
    "ModelFileError",
    "ModelSpec",
    "SettingsError",
    "SpecError",
    "__version__",
]
