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
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from harken._util.paths import harken_home
from harken._util.settings import Settings, reject_unknown_keys
from harken.datasets.directory import UNKNOWN_CLASS
from harken.errors import SettingsError
from harken.frontend.settings import FrontendSettings
from harken.spec.deployment import DetectionSettings, QuantizationSettings
from harken.spec.problem import SpecProblem
from harken.spec.sources import DatasetSource
from harken.spec.training import EarlyStopping, ReduceLrOnPlateau

DRY_RUN_SUFFIX = "-test"
DRY_RUN_EPOCHS = 3
DRY_RUN_SAMPLES_PER_CLASS = 20
ARCHIVE_SUFFIX = ".harken.zip"
BUILTIN_SPECS_DIR = Path(__file__).parent / "builtin"


def _from_dict(cls, data: dict, owner: str, convert: dict[str, Callable[[Any], Any]] | None = None):
    """TrainingSettings' from_dict (every other spec class is a ``Settings``); goes when it is one too."""
    if not isinstance(data, dict):
        raise SettingsError(f"{owner}: expected an object, got {type(data).__name__}")
    reject_unknown_keys(data, [f.name for f in fields(cls)], owner=owner)
    kwargs = {k: (convert[k](v) if convert and k in convert and v is not None else v) for k, v in data.items()}
    return cls(**kwargs)


def _callable_name(fn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


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

    def to_dict(self) -> dict:
        arch = self.architecture if isinstance(self.architecture, str) else f"<function {_callable_name(self.architecture)}>"
        return {"architecture": arch, "options": _plain(self.options)}


# ---- training ------------------------------------------------------------------------------------
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
    merges the members into one model that averages their probabilities (``harken.training.ensemble``):
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
    def from_dict(cls, data: Any, *, owner: str | None = None) -> ModelSpec:
        """Inverse of :meth:`to_dict` (a function-valued setting must be set again by hand)."""
        if isinstance(data, dict):  # the base converts the rest by type hint
            data = dict(data)
            if isinstance(data.get("datasets"), list):
                data["datasets"] = [DatasetSource.from_dict(d, owner=f"ModelSpec.datasets[{i}]")
                                    for i, d in enumerate(data["datasets"])]
            if isinstance(data.get("training"), dict):  # until TrainingSettings is a Settings
                data["training"] = TrainingSettings.from_dict(data["training"])
        return super(ModelSpec, cls).from_dict(data, owner=owner)

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
