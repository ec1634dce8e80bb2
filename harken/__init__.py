"""harken: from audio clips to a keyword-spotting model running on a microcontroller.

The public API, loaded on first use so that ``import harken`` stays light (no TensorFlow, no numba)::

    import harken
    spec = harken.find_spec("keyword_spotting_on_off-test")
    result = harken.train(spec)
"""

from importlib import import_module

from harken.errors import (
    AudioError,
    DatasetError,
    HarkenError,
    ModelFileError,
    SettingsError,
    SpecError,
)

__version__ = "0.1.0"

# public name -> the module that defines it, or (module, name there) (imported by __getattr__ on first use).
# The stages are subpackages named after the stage (harken.training, harken.evaluation) so that the verbs
# harken.train and harken.evaluate can be plain functions.
_LAZY: dict[str, str | tuple[str, str]] = {
    "ModelSpec": "harken.spec",
    "DatasetSource": "harken.spec",
    "DetectionSettings": "harken.spec",
    "ModelSettings": "harken.spec",
    "TrainingSettings": "harken.spec",
    "load_spec": "harken.spec.loader",
    "find_spec": "harken.spec.loader",
    "list_specs": "harken.spec.loader",
    "train": "harken.training.job",
    "evaluate": ("harken.evaluation.scoring", "evaluate_model"),
    "FrontendSettings": "harken.frontend",
    "compute_spectrograms": "harken.frontend",
    "StreamingFrontend": "harken.frontend",
    "read_audio": "harken.audio.io",
}


def __getattr__(name: str):
    """``harken.ModelSpec``, ``harken.train``...: import the defining module on first use."""
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'harken' has no attribute {name!r}")
    module, attribute = home if isinstance(home, tuple) else (home, name)
    return getattr(import_module(module), attribute)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AudioError",
    "DatasetError",
    "HarkenError",
    "ModelFileError",
    "SettingsError",
    "SpecError",
    *_LAZY,
    "__version__",
]
