"""A model specification's dataset sources -> its labelled clips, split by training / validation / testing.

In: a ``ModelSpec`` (its ``classes``, ``datasets`` and ``seed``). Out: ``LabeledClip`` lists per
split and the background-noise files, in the order the sources and their folders list them. Each
source is a folder (a directory, a download or a synthesised set, made on first use and cached),
loaded by ``harken.datasets.directory``; its folder labels are mapped onto the spec's classes.
Also here: the class index of a class list, Keras class weights of the labels, and reading a clip.

What it does not do: augment or batch the clips (``harken.pipeline``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harken.audio.io import read_audio
from harken.datasets.directory import (
    SILENCE_CLASS,
    UNKNOWN_CLASS,
    DirectorySettings,
    balanced_class_weights,
    load_directory_dataset,
)
from harken.errors import DatasetError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LabeledClip:
    """One training or validation sample: ``path`` None means a generated silence sample."""

    path: str | None
    label: str


def class_index(class_names: Sequence[str]) -> dict[str, int]:
    """Each class name's output index; repeated names are a ``DatasetError``."""
    index = {name: i for i, name in enumerate(class_names)}
    if len(index) != len(class_names):
        raise DatasetError(f"class names repeat: {list(class_names)}")
    return index


def keras_class_weights(labels: Sequence[int], num_classes: int) -> dict[int, float]:
    """Keras class weights n / (k * count_c) by class index, for the classes present ("balanced").

    Examples
    --------
    >>> keras_class_weights([0, 0, 0, 1], 3)
    {0: 0.6666666666666666, 1: 2.0}
    """
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)
    return balanced_class_weights({c: int(n) for c, n in enumerate(counts) if n})


def read_clip(path: str, sample_rate_hz: int) -> np.ndarray:
    """A clip's float32 samples at ``sample_rate_hz``."""
    audio, _ = read_audio(path, sample_rate_hz=sample_rate_hz, dtype="float32")
    return audio


def _source_root(source, *, workers: int, quiet: bool) -> Path:
    """The folder of one dataset source (synthesised or downloaded on first use, then cached)."""
    if source.directory is not None:
        root = Path(source.directory).expanduser()
        if not root.is_dir():
            raise DatasetError(f"{root}: dataset folder not found (DatasetSource directory=)")
        return root
    if source.download is not None:
        from harken.datasets.sources import download_dataset

        return download_dataset(source.download, quiet=quiet)
    from harken.datasets.synth import synthesize_dataset

    return synthesize_dataset(source.synth, workers=max(1, workers)).path


def _directory_settings(source, spec) -> DirectorySettings:
    """How to read one source's folder: its keywords (the spec's by default, plus the mapped ones) and splits."""
    keyword_classes = tuple(c for c in spec.classes if not c.startswith("_"))
    keywords = tuple(source.keywords or keyword_classes) + tuple(k for k in source.class_map if not k.startswith("_"))
    return DirectorySettings(
        keywords=tuple(dict.fromkeys(keywords)), unknown=source.unknown and UNKNOWN_CLASS in spec.classes,
        silence_percentage=source.silence_percentage, validation_percentage=source.validation_percentage,
        testing_percentage=source.testing_percentage, max_samples_per_class=source.max_samples_per_class,
        speaker_manifest=source.speaker_manifest, seed=spec.seed)


def _labelled(samples, class_map: dict[str, str], classes: set[str]) -> list[LabeledClip]:
    """Map folder labels to the spec's classes; silence without a silence class counts as unknown."""
    out = []
    for sample in samples:
        label = class_map.get(sample.label, sample.label)
        if label == SILENCE_CLASS and label not in classes:
            label = UNKNOWN_CLASS
        if label in classes:
            out.append(LabeledClip(sample.path, label))
    return out


def collect_clips(spec, *, workers: int = 1, quiet: bool = False) -> dict:
    """Training / validation / testing clips and background-noise files of every dataset of ``spec``.

    Returns ``{"training": [...], "validation": [...], "testing": [...], "noise_files": [...]}``:
    ``LabeledClip`` lists labelled with the spec's classes, and noise file paths. ``workers``
    processes synthesise a ``synth`` source that is not cached yet; ``quiet`` hides download progress.
    """
    classes = set(spec.classes)
    splits = {"training": [], "validation": [], "testing": []}
    noise_files: list[str] = []
    for source in spec.datasets:
        root = _source_root(source, workers=workers, quiet=quiet)
        dataset = load_directory_dataset(root, _directory_settings(source, spec))
        for split in splits:
            splits[split] += _labelled(dataset.split(split), source.class_map, classes)
        noise_files += list(dataset.noise_files)
        if dataset.bad_files:
            log.warning("%s: %d bad files left out", root, len(dataset.bad_files))
    return {**splits, "noise_files": noise_files}
