"""A model specification -> its training data: the one entry from ``harken.training`` into the pipeline.

In: a ``ModelSpec``. Out: ``TrainingData``: seeded augmented training batches
(``harken.pipeline.batches``), cached validation arrays (``harken.pipeline.validation``), the
classes and their Keras weights, and the test clips. The clips come from the spec's dataset
sources (``harken.datasets.clips``); background noise and a room-impulse bank feed the augmenter.

What it does not do: train (``harken.training.job``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from harken.datasets.clips import LabeledClip, collect_clips, keras_class_weights, read_clip
from harken.errors import DatasetError
from harken.pipeline.batches import TrainingBatches
from harken.pipeline.validation import validation_arrays


@dataclass
class TrainingData:
    """What ``harken.training.job`` needs: augmented training batches and cached validation arrays."""

    train: TrainingBatches
    validation: tuple[np.ndarray, np.ndarray]
    class_names: list[str]
    class_weights: dict[int, float] | None
    test_clips: list[LabeledClip]
    num_noise_clips: int = 0
    num_rirs: int = 0


def build_training_data(spec, *, dry_run: bool = False, workers: int | None = None, quiet: bool = False) -> TrainingData:
    """Clips of the spec's datasets -> augmented training batches + cached validation arrays.

    ``workers`` processes make the batches (default: 2 on a machine with 2 or more cores). A dry
    run uses a smaller room bank; the sample caps of ``NAME-test`` come from the spec itself.
    """
    workers = min(2, os.cpu_count() or 1) if workers is None else max(1, int(workers))
    clips = collect_clips(spec, workers=workers, quiet=quiet)
    class_names = list(spec.classes)
    _check_clips(spec, clips)
    fe = spec.frontend
    noise = [read_clip(path, fe.sample_rate_hz) for path in clips["noise_files"]]
    rirs = _room_impulses(fe.sample_rate_hz, num_rirs=8 if dry_run else 64)
    batches = TrainingBatches(
        clips["training"], class_names=class_names, frontend=fe, augmentation=spec.augmentation,
        batch_size=spec.training.batch_size, seed=spec.seed, noise_clips=noise, rirs=rirs,
        workers=workers, use_multiprocessing=workers > 1, max_queue_size=max(4, 2 * workers))
    validation = validation_arrays(clips["validation"], class_names=class_names, frontend=fe, seed=spec.seed)
    return TrainingData(
        train=batches, validation=validation, class_names=class_names,
        class_weights=keras_class_weights(batches.labels, len(class_names)),
        test_clips=clips["testing"], num_noise_clips=len(noise), num_rirs=len(rirs))


def _check_clips(spec, clips: dict) -> None:
    """A ``DatasetError`` naming the spec if a class has no training clip or the validation split is empty."""
    empty = [c for c in spec.classes if not any(clip.label == c for clip in clips["training"])]
    if empty:
        raise DatasetError(f"spec {spec.name}: no training clips for class(es) {empty}; check the datasets' folders")
    if not clips["validation"]:
        raise DatasetError(f"spec {spec.name}: the validation split is empty; add data or raise validation_percentage")


def _room_impulses(sample_rate_hz: int, *, num_rirs: int) -> list[np.ndarray]:
    """A simulated bank of ``num_rirs`` room impulse responses (cached under ``$HARKEN_HOME``), for the augmenter."""
    from harken.datasets.rir import RirBankSettings, rir_bank

    bank = rir_bank(RirBankSettings(sample_rate_hz=sample_rate_hz, num_rirs=num_rirs))
    return [bank.get(i) for i in range(len(bank))]
