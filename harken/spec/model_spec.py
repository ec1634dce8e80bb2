"""The model specification: one dataclass of dataclasses that says everything about a model.

In: keyword arguments in a spec file (plain Python whose module defines ``spec``).
Out: a validated :class:`ModelSpec` (classes, front end, datasets, augmentation, model builder,
training, quantization and detection settings) and the paths derived from it (work directory,
archive). Loading and finding spec files by name is :mod:`harken.spec.loader`.
Its parts live beside it and are imported here too: ``DatasetSource`` in :mod:`harken.spec.sources`,
quantization and detection in :mod:`harken.spec.deployment`, the training callbacks in
:mod:`harken.spec.training`.
It does not load data, build models or train: ``harken.pipeline.batches`` and ``harken.training.job`` do.

Examples
--------
>>> from harken.spec.model_spec import ModelSpec, ModelSettings
>>> spec = ModelSpec(name="demo", classes=("on", "off", "_unknown_"), model=ModelSettings(architecture="cnn"))
>>> spec.training.epochs = 5  # plain attribute assignment
>>> spec.input_shape
(98, 104, 1)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harken._util.paths import harken_home
from harken._util.settings import Settings
from harken.datasets.directory import UNKNOWN_CLASS
from harken.frontend.settings import FrontendSettings
from harken.spec.deployment import DetectionSettings, QuantizationSettings
from harken.spec.problem import SpecProblem
from harken.spec.sources import DatasetSource
from harken.spec.training import TrainingSettings

DRY_RUN_SUFFIX = "-test"
DRY_RUN_EPOCHS = 3
DRY_RUN_SAMPLES_PER_CLASS = 20
ARCHIVE_SUFFIX = ".harken.zip"
BUILTIN_SPECS_DIR = Path(__file__).parent / "builtin"


# ---- model ---------------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class ModelSettings(Settings):
    """The architecture: a name of ``harken.models`` (``tenet``, ``dscnn``, ``cnn``) plus keyword
    options, or a callable ``fn(input_shape, num_classes, **options) -> keras.Model``."""

    architecture: str | Callable[..., Any] = "tenet"
    options: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        from harken.models import MODEL_BUILDERS

        if isinstance(self.architecture, str) and self.architecture not in MODEL_BUILDERS:
            raise SpecProblem(f"model architecture={self.architecture!r}: use one of {', '.join(MODEL_BUILDERS)} "
                              "or a function (input_shape, num_classes, **options) -> keras.Model",
                              token=self.architecture)
        if not isinstance(self.architecture, str) and not callable(self.architecture):
            raise SpecProblem(f"model architecture={self.architecture!r} is neither a name nor a function",
                              token="architecture")


# ---- the spec ------------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class ModelSpec(Settings):
    """Everything about one keyword-spotting model; a spec file defines one as ``spec``.

    ``augmentation`` is a ``harken.augment.Compose`` (the waveform transforms in order, the
    negatives and the spectrogram masks); None means harken's default recipe (``Compose()``) and a
    dict of its ``to_dict()`` form is converted (both only once that module can be imported).
    ``source_path`` and ``dry_run`` are set by the loader (:func:`harken.spec.loader.load_spec`).

    Examples
    --------
    >>> spec = ModelSpec(name="demo", classes=("on", "off"), model=ModelSettings(architecture="cnn"))
    >>> spec.training.epocs = 3
    Traceback (most recent call last):
    AttributeError: 'TrainingSettings' object has no attribute 'epocs'...
    """

    name: str = ""
    description: str = ""
    version: int = 1
    seed: int = 0
    classes: tuple[str, ...] = ("on", "off", UNKNOWN_CLASS)
    frontend: FrontendSettings = field(default_factory=FrontendSettings)
    datasets: list[DatasetSource] = field(default_factory=list)
    augmentation: Any = None
    model: ModelSettings = field(default_factory=ModelSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    quantization: QuantizationSettings = field(default_factory=QuantizationSettings)
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    dry_run: bool = False
    source_path: str | None = None

    def __post_init__(self) -> None:
        self.classes = tuple(self.classes)
        self.datasets = list(self.datasets)
        self.augmentation = _convert_augmentation(self.augmentation)
        self.validate()

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """Model input without the batch axis: ``(frames, channels, 1)``."""
        return (*self.frontend.spectrogram_shape, 1)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def validate(self) -> None:
        """Check every part and their consistency; raise SettingsError naming the first problem."""
        if self.name and (not all(c.isalnum() or c in "_-." for c in self.name)):
            raise SpecProblem(f"spec name={self.name!r}: use letters, digits, '_', '-' and '.'", token=self.name)
        if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes) or \
                any(not isinstance(c, str) or not c for c in self.classes):
            raise SpecProblem(f"classes={list(self.classes)}: give at least two different names", token="classes")
        self.frontend.validate()
        frames, channels = self.frontend.spectrogram_shape
        if frames < 1 or channels < 1:
            raise SpecProblem(f"the front end gives a {frames}x{channels} spectrogram: no model input; "
                              "lengthen fe.sample_length_ms or shorten fe.window_size_ms", token="sample_length_ms")
        for source in self.datasets:
            if not isinstance(source, DatasetSource):
                raise SpecProblem(f"datasets holds {type(source).__name__}; use DatasetSource(...)", token="datasets")
            source.validate()
            self._check_source_classes(source)
        self.model.validate()
        self.training.validate()
        self.quantization.validate()
        self.detection.validate()
        if self.detection.detection_threshold_list is not None and \
                len(self.detection.detection_threshold_list) != self.num_classes:
            raise SpecProblem(f"detection_threshold_list has {len(self.detection.detection_threshold_list)} values "
                              f"for {self.num_classes} classes {list(self.classes)}; give one per class",
                              token="detection_threshold_list")
        if isinstance(self.training.class_weights, dict):
            unknown = [c for c in self.training.class_weights if c not in self.classes]
            if unknown:
                raise SpecProblem(f"class_weights names class {unknown[0]!r}, not one of {list(self.classes)}",
                                  token=unknown[0])
        validate = getattr(self.augmentation, "validate", None)
        if callable(validate):
            validate()

    def _check_source_classes(self, source: DatasetSource) -> None:
        named = list(source.class_map.values()) + [source.class_map.get(k, k) for k in source.keywords or ()]
        if source.synth is not None:
            named += [source.class_map.get(k, k) for k in source.synth.keywords]
        for name in named:
            if name not in self.classes:
                raise SpecProblem(f"dataset {source.kind} uses class {name!r}, which is not in classes="
                                  f"{list(self.classes)}; add it to classes or map it with class_map", token=name)

    # ---- outputs ---------------------------------------------------------------------------------
    def work_dir(self) -> Path:
        """``$HARKEN_HOME/models/NAME`` (not created here)."""
        return harken_home() / "models" / self.name

    def archive_path(self) -> Path:
        """``NAME.harken.zip`` beside the spec file, or in the work directory for built-in specs."""
        if self.source_path:
            folder = Path(self.source_path).resolve().parent
            if folder != BUILTIN_SPECS_DIR.resolve():
                return folder / f"{self.name}{ARCHIVE_SUFFIX}"
        return self.work_dir() / f"{self.name}{ARCHIVE_SUFFIX}"

    def for_dry_run(self) -> ModelSpec:
        """A copy for a dry run: ``NAME-test``, 3 epochs, a few samples per class, an ensemble of at most 2."""
        spec = copy.deepcopy(self)
        if not spec.dry_run:
            spec.name = f"{spec.name}{DRY_RUN_SUFFIX}"
        spec.dry_run = True
        spec.training.epochs = min(spec.training.epochs, DRY_RUN_EPOCHS)
        spec.training.ensemble_size = min(spec.training.ensemble_size, 2)
        cap = DRY_RUN_SAMPLES_PER_CLASS
        for source in spec.datasets:
            source.max_samples_per_class = min(source.max_samples_per_class or cap, cap)
            if source.synth is not None:
                source.synth.num_clips_per_keyword = min(source.synth.num_clips_per_keyword, cap)
                source.synth.num_unknown = min(source.synth.num_unknown, 2 * cap)
        spec.quantization.num_representative_samples = min(spec.quantization.num_representative_samples, 2 * cap)
        return spec

    # ---- plain data ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON types; functions (model builder, lr_schedule) appear as their names."""
        return {**Settings.to_dict(self), "frontend": self.frontend.to_dict(prefix=False)}

    def model_params(self) -> dict[str, Any]:
        """The settings embedded in the .tflite, in storage order (without hash/date/memory size)."""
        params: dict[str, Any] = {
            "name": self.name, "version": int(self.version), "description": self.description,
            "classes": list(self.classes),
        }
        params.update(self.detection.to_params())
        params.update(self.frontend.to_dict(prefix=True))
        return params


def _convert_augmentation(value: Any) -> Any:
    """None -> ``Compose()`` (harken's default recipe); a dict -> ``Compose.from_dict``.

    Both are kept as they are when ``harken.augment`` cannot be imported.
    """
    if value is None or isinstance(value, dict):
        try:
            from harken.augment.compose import Compose
        except ImportError:
            return value
        return Compose() if value is None else Compose.from_dict(value, owner="ModelSpec.augmentation")
    return value
