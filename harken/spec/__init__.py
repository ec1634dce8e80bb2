"""Model specifications: the ModelSpec dataclasses, the spec-file loader and the built-in specs."""

from harken.spec.loader import find_spec, list_specs, load_spec
from harken.spec.model_spec import (
    DatasetSource,
    DetectionSettings,
    EarlyStopping,
    ModelSettings,
    ModelSpec,
    QuantizationSettings,
    ReduceLrOnPlateau,
    TrainingSettings,
)

__all__ = [
    "DatasetSource",
    "DetectionSettings",
    "EarlyStopping",
    "ModelSettings",
    "ModelSpec",
    "QuantizationSettings",
    "ReduceLrOnPlateau",
    "TrainingSettings",
    "find_spec",
    "list_specs",
    "load_spec",
]
