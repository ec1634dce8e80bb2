"""The model specification: one dataclass of dataclasses that says everything about a model.

In: keyword arguments in a spec file (plain Python whose module defines ``spec``).
Out: a validated :class:`ModelSpec` (classes, front end, datasets, augmentation, model builder,
training, quantization and detection settings) and the paths derived from it (work directory,
archive). Loading and finding spec files by name is :mod:`harken.spec.loader`.
It does not load data, build models or train: ``harken.pipeline.batches`` and ``harken.train.job`` do.

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
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from harken._util.settings import reject_unknown_keys
from harken.datasets.directory import UNKNOWN_CLASS
from harken.datasets.synth_settings import SynthSettings
from harken.errors import SettingsError
from harken.frontend.settings import FrontendSettings
from harken._util.paths import harken_home

DRY_RUN_SUFFIX = "-test"
DRY_RUN_EPOCHS = 3
DRY_RUN_SAMPLES_PER_CLASS = 20
ARCHIVE_SUFFIX = ".harken.zip"
BUILTIN_SPECS_DIR = Path(__file__).parent / "builtin"


class SpecProblem(SettingsError):
    """A spec value is wrong; ``token`` is text to look for in the spec file to name its line."""

    def __init__(self, message: str, *, token: str | None = None) -> None:
        super().__init__(message)
        self.token = token


def _from_dict(cls, data: dict, owner: str, convert: dict[str, Callable[[Any], Any]] | None = None):
    if not isinstance(data, dict):
        raise SettingsError(f"{owner}: expected an object, got {type(data).__name__}")
    reject_unknown_keys(data, [f.name for f in fields(cls)], owner=owner)
    kwargs = {k: (convert[k](v) if convert and k in convert and v is not None else v) for k, v in data.items()}
    return cls(**kwargs)


def _callable_name(fn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


# ---- datasets ------------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class DatasetSource:
    """One source of labelled clips: exactly one of ``directory``, ``download`` or ``synth``.

    Folders named like a class of the spec are that class; ``class_map`` renames folders
    (``{"sil": "_silence_"}``); ``keywords`` limits which folders count as keyword classes; every
    other folder goes to ``_unknown_`` when ``unknown`` is set and the spec has that class. Speakers
    are split by hash (``validation_percentage``, ``testing_percentage``); ``speaker_manifest``
    (a TSV/CSV with ``file`` and ``speaker`` and/or ``split`` columns) names speakers or puts them
    in a split by hand.

    Examples
    --------
    >>> DatasetSource(download="speech_commands_v2", max_samples_per_class=3000).download
    'speech_commands_v2'
    """

    directory: str | None = None
    download: str | None = None
    synth: SynthSettings | None = None
    keywords: tuple[str, ...] | None = None
    class_map: dict[str, str] = field(default_factory=dict)
    unknown: bool = True
    max_samples_per_class: int | None = None
    silence_percentage: float = 0.0
    validation_percentage: float = 10.0
    testing_percentage: float = 10.0
    speaker_manifest: str | None = None

    def __post_init__(self) -> None:
        if self.keywords is not None:
            self.keywords = tuple(self.keywords)
        self.validate()

    @property
    def kind(self) -> str:
        """``directory``, ``download`` or ``synth``."""
        return "directory" if self.directory is not None else "download" if self.download is not None else "synth"

    def validate(self) -> None:
        """Raise SettingsError naming the first bad field."""
        given = [n for n in ("directory", "download", "synth") if getattr(self, n) is not None]
        if len(given) != 1:
            raise SpecProblem(f"DatasetSource: give exactly one of directory=, download=, synth= (got {given or 'none'})",
                              token="DatasetSource")
        if self.download is not None:
            from harken.datasets.sources import SOURCES

            if self.download not in SOURCES and "://" not in self.download:
                raise SpecProblem(f"DatasetSource(download={self.download!r}): not a known dataset; use one of "
                                  f"{', '.join(SOURCES)} or an archive URL", token=self.download)
        if self.synth is not None:
            self.synth.validate()
        if self.max_samples_per_class is not None and self.max_samples_per_class < 1:
            raise SpecProblem(f"DatasetSource max_samples_per_class={self.max_samples_per_class}: use None or >= 1",
                              token="max_samples_per_class")
        if not 0.0 <= self.silence_percentage <= 1000.0:
            raise SpecProblem(f"DatasetSource silence_percentage={self.silence_percentage}: use 0..1000",
                              token="silence_percentage")

    def provided_classes(self, classes: tuple[str, ...]) -> set[str] | None:
        """Classes this source is known to fill, or None when only a folder scan can tell."""
        if self.synth is not None:
            names = {self.class_map.get(k, k) for k in self.synth.keywords}
            if self.synth.num_unknown > 0 and self.unknown:
                names.add(UNKNOWN_CLASS)
            return names
        return None

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["synth"] = self.synth.to_dict() if self.synth is not None else None
        out["keywords"] = list(self.keywords) if self.keywords is not None else None
        out["class_map"] = dict(self.class_map)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> DatasetSource:
        return _from_dict(cls, data, "DatasetSource", {"synth": SynthSettings.from_dict, "keywords": tuple})


# ---- model ---------------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class ModelSettings:
    """The architecture: a name of ``harken.models`` (``tenet``, ``dscnn``, ``cnn``) plus keyword
    options, or a callable ``fn(input_shape, num_classes, **options) -> keras.Model``."""

    architecture: str | Callable[..., Any] = "tenet"
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        from harken.models import MODEL_BUILDERS

        if isinstance(self.architecture, str) and self.architecture not in MODEL_BUILDERS:
            raise SpecProblem(f"model architecture={self.architecture!r}: use one of {', '.join(MODEL_BUILDERS)} "
                              "or a function (input_shape, num_classes, **options) -> keras.Model",
                              token=self.architecture)
        if not isinstance(self.architecture, str) and not callable(self.architecture):
            raise SpecProblem(f"model architecture={self.architecture!r} is neither a name nor a function",
                              token="architecture")

    def to_dict(self) -> dict:
        arch = self.architecture if isinstance(self.architecture, str) else f"<function {_callable_name(self.architecture)}>"
        return {"architecture": arch, "options": _plain(self.options)}

    @classmethod
    def from_dict(cls, data: dict) -> ModelSettings:
        return _from_dict(cls, data, "ModelSettings")


# ---- training ------------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class EarlyStopping:
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    monitor: str = "val_accuracy"
    patience: int = 12
    min_delta: float = 0.0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> EarlyStopping:
        return _from_dict(cls, data, "EarlyStopping")


@dataclass(slots=True, kw_only=True)
class ReduceLrOnPlateau:
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs."""

    monitor: str = "accuracy"
    factor: float = 0.25
    patience: int = 10
    min_learning_rate: float = 1e-7

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ReduceLrOnPlateau:
        return _from_dict(cls, data, "ReduceLrOnPlateau")


@dataclass(slots=True, kw_only=True)
class TrainingSettings:
    """How to train: Keras ``fit`` settings, learning-rate schedule, callbacks, class weights.

    ``lr_schedule`` is a function of the epoch index (0-based) giving the learning rate;
    ``lr_steps`` is a stepped schedule counted in batches, ``((num_batches, learning_rate), ...)``,
    and training stops after the last step. Give at most one of them.

    ``initial_weights`` fine-tunes instead of training from scratch: the name of another spec with
    the same model (its trained ``.keras`` is used; ``harken train`` trains it first when it has no
    model yet) or the path of a ``.keras`` / ``.weights.h5`` file.

    ``ensemble_size`` > 1 trains the spec that many times, member ``i`` with seed ``seed + i``, and
    merges the members into one model that averages their probabilities (``harken.train.ensemble``):
    ``ensemble_size`` times the MACs, weights and training time of one model. With
    ``initial_weights`` naming an ensemble, member ``i`` fine-tunes its member ``i``.
    """

    epochs: int = 80
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 0.001
    optimizer_options: dict[str, Any] = field(default_factory=dict)
    lr_schedule: Callable[[int], float] | None = None
    lr_steps: tuple[tuple[int, float], ...] | None = None
    checkpoint_monitor: str | None = "val_accuracy"  # None: keep the last epoch's weights
    early_stopping: EarlyStopping | None = None
    reduce_lr_on_plateau: ReduceLrOnPlateau | None = None
    class_weights: str | dict[str, float] | None = "balanced"
    initial_weights: str | None = None
    ensemble_size: int = 1

    def __post_init__(self) -> None:
        if self.lr_steps is not None:
            self.lr_steps = tuple((int(n), float(lr)) for n, lr in self.lr_steps)
        self.validate()

    def validate(self) -> None:
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise SpecProblem(f"training epochs={self.epochs!r}: use a whole number >= 1", token="epochs")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise SpecProblem(f"training batch_size={self.batch_size!r}: use a whole number >= 1", token="batch_size")
        if self.optimizer not in ("adam", "adamw", "sgd", "rmsprop"):
            raise SpecProblem(f"training optimizer={self.optimizer!r}: use adam, adamw, sgd or rmsprop",
                              token="optimizer")
        if not self.learning_rate > 0:
            raise SpecProblem(f"training learning_rate={self.learning_rate}: must be > 0", token="learning_rate")
        if self.lr_schedule is not None and self.lr_steps is not None:
            raise SpecProblem("training: give lr_schedule (per epoch) or lr_steps (per batch), not both",
                              token="lr_steps")
        if self.lr_schedule is not None and not callable(self.lr_schedule):
            raise SpecProblem("training lr_schedule must be a function epoch -> learning rate", token="lr_schedule")
        if self.lr_steps is not None and (not self.lr_steps or any(n < 1 or lr <= 0 for n, lr in self.lr_steps)):
            raise SpecProblem(f"training lr_steps={self.lr_steps}: give (num_batches >= 1, learning_rate > 0) pairs",
                              token="lr_steps")
        if self.checkpoint_monitor is not None and (not isinstance(self.checkpoint_monitor, str)
                                                    or not self.checkpoint_monitor):
            raise SpecProblem(f"training checkpoint_monitor={self.checkpoint_monitor!r}: name a logged metric "
                              "(val_accuracy, val_loss, ...) or None for the last epoch", token="checkpoint_monitor")
        if self.initial_weights is not None and (not isinstance(self.initial_weights, str) or
                                                 not self.initial_weights.strip()):
            raise SpecProblem(f"training initial_weights={self.initial_weights!r}: give a spec name or a "
                              ".keras / .weights.h5 path", token="initial_weights")
        if isinstance(self.ensemble_size, bool) or not isinstance(self.ensemble_size, int) or self.ensemble_size < 1:
            raise SpecProblem(f"training ensemble_size={self.ensemble_size!r}: use a whole number >= 1 (1: one model)",
                              token="ensemble_size")
        if isinstance(self.class_weights, str) and self.class_weights != "balanced":
            raise SpecProblem(f"training class_weights={self.class_weights!r}: use 'balanced', a dict or None",
                              token="class_weights")

    @property
    def total_lr_step_batches(self) -> int | None:
        """Batches after which a stepped schedule ends training (None without ``lr_steps``)."""
        return sum(n for n, _ in self.lr_steps) if self.lr_steps else None

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["lr_schedule"] = None if self.lr_schedule is None else f"<function {_callable_name(self.lr_schedule)}>"
        out["lr_steps"] = [list(s) for s in self.lr_steps] if self.lr_steps is not None else None
        out["early_stopping"] = self.early_stopping.to_dict() if self.early_stopping else None
        out["reduce_lr_on_plateau"] = self.reduce_lr_on_plateau.to_dict() if self.reduce_lr_on_plateau else None
        out["optimizer_options"] = _plain(self.optimizer_options)
        out["class_weights"] = _plain(self.class_weights)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> TrainingSettings:
        data = dict(data)
        if isinstance(data.get("lr_schedule"), str):  # a function cannot travel as JSON
            data["lr_schedule"] = None
        return _from_dict(cls, data, "TrainingSettings", {
            "early_stopping": EarlyStopping.from_dict, "reduce_lr_on_plateau": ReduceLrOnPlateau.from_dict,
        })


@dataclass(slots=True, kw_only=True)
class QuantizationSettings:
    """Full int8 conversion: ``num_representative_samples`` validation spectrograms calibrate it."""

    num_representative_samples: int = 500
    float_model: bool = True

    def validate(self) -> None:
        if self.num_representative_samples < 1:
            raise SpecProblem(f"quantization num_representative_samples={self.num_representative_samples}: use >= 1",
                              token="num_representative_samples")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> QuantizationSettings:
        return _from_dict(cls, data, "QuantizationSettings")


@dataclass(slots=True, kw_only=True)
class DetectionSettings:
    """Settings of the device's command recognizer, embedded in the .tflite (firmware key names).

    Give ``detection_threshold`` (one value for every class) or ``detection_threshold_list``
    (one per class), each 0..255 on the int8 model's output scale.
    """

    average_window_duration_ms: int = 1000
    detection_threshold: int | None = 160
    detection_threshold_list: tuple[int, ...] | None = None
    suppression_ms: int = 750
    minimum_count: int = 3
    volume_gain: float = 0.0
    latency_ms: int = 100

    def __post_init__(self) -> None:
        if self.detection_threshold_list is not None:
            self.detection_threshold_list = tuple(self.detection_threshold_list)
            if self.detection_threshold == 160:  # the default, not a choice: the list replaces it
                self.detection_threshold = None
        self.validate()

    def validate(self) -> None:
        if (self.detection_threshold is None) == (self.detection_threshold_list is None):
            raise SpecProblem("detection: give detection_threshold or detection_threshold_list (one of them)",
                              token="detection_threshold")
        values = self.detection_threshold_list or (self.detection_threshold,)
        if any(not isinstance(v, int) or not 0 <= v <= 255 for v in values):
            raise SpecProblem(f"detection thresholds {list(values)}: use whole numbers 0..255",
                              token="detection_threshold")
        for name in ("average_window_duration_ms", "suppression_ms", "minimum_count", "latency_ms"):
            if getattr(self, name) < 0:
                raise SpecProblem(f"detection {name}={getattr(self, name)}: must be >= 0", token=name)

    def to_params(self) -> dict[str, Any]:
        """The firmware's model parameters, in the order the reference toolkit stores them."""
        out: dict[str, Any] = {"average_window_duration_ms": self.average_window_duration_ms}
        if self.detection_threshold_list is not None:
            out["detection_threshold_list"] = list(self.detection_threshold_list)
        else:
            out["detection_threshold"] = self.detection_threshold
        out.update(suppression_ms=self.suppression_ms, minimum_count=self.minimum_count,
                   volume_gain=float(self.volume_gain), latency_ms=self.latency_ms)
        return out

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["detection_threshold_list"] = list(self.detection_threshold_list) if self.detection_threshold_list else None
        return out

    @classmethod
    def from_dict(cls, data: dict) -> DetectionSettings:
        return _from_dict(cls, data, "DetectionSettings")


# ---- the spec ------------------------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class ModelSpec:
    """Everything about one keyword-spotting model; a spec file defines one as ``spec``.

    ``augmentation`` is a ``harken.augment.AugmentationSettings``; None means its defaults and a
    dict of its settings is converted (both only once that module can be imported). ``source_path`` and ``dry_run`` are set by the
    loader (:func:`harken.spec.loader.load_spec`).

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
        aug = self.augmentation
        return {
            "name": self.name, "description": self.description, "version": self.version, "seed": self.seed,
            "classes": list(self.classes), "frontend": self.frontend.to_dict(prefix=False),
            "datasets": [s.to_dict() for s in self.datasets],
            "augmentation": aug.to_dict() if hasattr(aug, "to_dict") else _plain(aug),
            "model": self.model.to_dict(), "training": self.training.to_dict(),
            "quantization": self.quantization.to_dict(), "detection": self.detection.to_dict(),
            "dry_run": self.dry_run, "source_path": self.source_path,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ModelSpec:
        """Inverse of :meth:`to_dict` (a function-valued setting must be set again by hand)."""
        data = dict(data)
        fe = data.get("frontend")
        if isinstance(fe, dict):
            fe = {k: v for k, v in fe.items() if k != "fft_length"}
        return _from_dict(cls, data, "ModelSpec", {
            "classes": tuple, "frontend": lambda _: FrontendSettings.from_dict(fe, source="ModelSpec.frontend"),
            "datasets": lambda v: [DatasetSource.from_dict(d) for d in v],
            "model": ModelSettings.from_dict, "training": TrainingSettings.from_dict,
            "quantization": QuantizationSettings.from_dict, "detection": DetectionSettings.from_dict,
        })

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
    """None -> ``AugmentationSettings()`` (its defaults); a dict -> ``AugmentationSettings.from_dict``.

    Both are kept as they are when ``harken.augment`` cannot be imported.
    """
    if value is None or isinstance(value, dict):
        try:
            from harken.augment import AugmentationSettings
        except ImportError:
            return value
        return AugmentationSettings() if value is None else AugmentationSettings.from_dict(value)
    return value


def _plain(value: Any) -> Any:
    """Deep-copy ``value`` as JSON types (tuples -> lists; other objects -> repr)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return repr(value)
