"""Model specifications: the ModelSpec dataclasses, the spec-file loader and the built-in specs."""

from harken.spec.deployment import DetectionSettings, QuantizationSettings
from harken.spec.loader import find_spec, list_specs, load_spec
from harken.spec.model_spec import ModelSettings, ModelSpec, TrainingSettings
from harken.spec.problem import SpecProblem
from harken.spec.sources import DatasetSource
from harken.spec.training import EarlyStopping, ReduceLrOnPlateau

__all__ = [
    "DatasetSource",
    "DetectionSettings",
    "EarlyStopping",
    "ModelSettings",
    "ModelSpec",
    "QuantizationSettings",
    "ReduceLrOnPlateau",
    "SpecProblem",
    "TrainingSettings",
    "find_spec",
    "list_specs",
    "load_spec",
]
