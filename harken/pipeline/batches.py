"""The training-data pipeline: labelled clips in, augmented int8 spectrogram batches out for Keras.

Every training sample is made fresh: read the clip, augment the waveform into a buffer of
``warmup_ms`` + one model window (the speech lands in the window; the warm-up carries the same
background), run the bit-exact front end over the whole buffer as the device would have run it,
keep the last window of frames and scale it to int8 over that window only, then SpecAugment.
Sample ``i`` of epoch ``e`` is keyed ``(seed, e, i)`` (each augmentation draws from its own stream
of that key, ``harken.augment.compose``), so any sample can be rebuilt alone, in any worker process
or order. Validation data is not augmented and is cached.

What it does not do: choose files or classes (``harken.datasets``), define the augmentations
(``harken.augment``) or train (``harken.train.job``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout  # not yet the builtin TimeoutError in Python 3.10
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from harken._util.atomic import atomic_path
from harken.audio.io import fit_length, read_audio
from harken.datasets.directory import SILENCE_CLASS, UNKNOWN_CLASS
from harken.datasets.directory import balanced_class_weights as _balanced_weights_by_name
from harken.errors import DatasetError
from harken.frontend import FrontendSettings
from harken.frontend.window import warmup_samples, window_spectrogram
from harken._util.paths import cache_dir

log = logging.getLogger(__name__)



@dataclass(frozen=True, slots=True)
class LabeledClip:
    """One training or validation sample: ``path`` None means a generated silence sample."""

    path: str | None
    label: str


def _class_index(class_names: Sequence[str]) -> dict[str, int]:
    index = {name: i for i, name in enumerate(class_names)}
    if len(index) != len(class_names):
        raise DatasetError(f"class names repeat: {list(class_names)}")
    return index


def balanced_class_weights(labels: Sequence[int], num_classes: int) -> dict[int, float]:
    """Keras class weights n / (k * count_c) by class index, for the classes present ("balanced")."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)
    return _balanced_weights_by_name({c: int(n) for c, n in enumerate(counts) if n})


def _read_clip(path: str, sample_rate_hz: int) -> np.ndarray:
    audio, _ = read_audio(path, sample_rate_hz=sample_rate_hz, dtype="float32")
    return audio


#: In a batch worker process: the TrainingBatches it makes batches for (set by ``_start_worker``).
_WORKER_BATCHES = None


def _start_worker(batches: TrainingBatches) -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it closes the pool), then keep ``batches``.

    The parent forks with SIGINT blocked, so a Ctrl-C pressed while workers start waits, pending,
    until it is ignored here instead of killing a worker that holds the pool's task-queue lock.
    """
    global _WORKER_BATCHES
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _WORKER_BATCHES = batches


def _worker_batch(epoch: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """In a worker: batch ``index`` of ``epoch``."""
    if _WORKER_BATCHES.epoch != epoch:
        _WORKER_BATCHES.set_epoch(epoch)
    return _WORKER_BATCHES.spectrogram_batch(index, epoch)


def _multiprocessing_context():
    """fork where it is the safe default (Linux): workers share the clips, noise and compiled kernels."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)


def _keras_py_dataset():
    import keras

    return keras.utils.PyDataset


class TrainingBatches(_keras_py_dataset()):
    """Augmented training batches for ``model.fit`` (a ``keras.utils.PyDataset``).

    Parameters
    ----------
    clips : sequence of LabeledClip
    class_names : sequence of str
        Output index order; every clip label must be one of them.
    frontend : FrontendSettings
    augmentation : harken.augment.Compose
    batch_size, seed : int
    noise_clips, rirs : sequences of float32 arrays
        Background recordings and room impulse responses for the augmenter (may be empty).
    warmup_ms : int
        Audio run through the front end before the model window (noise-reduction warm-up).
    balanced_sampling : bool
        Draw each epoch's samples with equal probability per class instead of each clip once.
    workers, use_multiprocessing, max_queue_size :
        With ``use_multiprocessing``, inside ``with batches.worker_processes():`` the batches are
        made by ``workers`` processes, ``max_queue_size`` batches ahead (across epoch ends too);
        elsewhere, and without it, in the calling thread. Keras runs no enqueuer of its own: its
        per-epoch process pools, forked from a background thread, could hang the exit after a
        Ctrl-C. Train with ``fit(..., shuffle=False)``: the order is ours, seeded.

    Examples
    --------
    >>> batches = TrainingBatches(clips, class_names=["on", "off", "_unknown_"], frontend=fe,
    ...                           augmentation=Compose(), batch_size=64, seed=1)  # doctest: +SKIP
    >>> x, y = batches[0]  # doctest: +SKIP
    >>> with batches.worker_processes():  # doctest: +SKIP
    ...     model.fit(batches, shuffle=False, epochs=3)
    """

    def __init__(
        self,
        clips: Sequence[LabeledClip],
        *,
        class_names: Sequence[str],
        frontend: FrontendSettings,
        augmentation,
        batch_size: int = 64,
        seed: int = 0,
        noise_clips: Sequence[np.ndarray] = (),
        rirs: Sequence[np.ndarray] = (),
        warmup_ms: int = 1000,
        balanced_sampling: bool = False,
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 8,
    ) -> None:
        super().__init__()  # no Keras enqueuer: see worker_processes
        if not clips:
            raise DatasetError("the training set is empty")
        if batch_size < 1:
            raise DatasetError(f"batch_size={batch_size} must be >= 1")
        self.class_names = list(class_names)
        index = _class_index(self.class_names)
        missing = sorted({c.label for c in clips} - set(index))
        if missing:
            raise DatasetError(f"clip labels {missing} are not among the classes {self.class_names}")
        self.clips = list(clips)
        self.labels = np.array([index[c.label] for c in self.clips], dtype=np.int32)
        self.frontend = frontend
        self.augmentation = augmentation
        self.batch_size = int(batch_size)
        self.seed = int(seed)
        self.warmup = warmup_samples(frontend, warmup_ms)
        self.balanced_sampling = balanced_sampling
        self.epoch = 0
        self._context = augmentation.context(sample_rate_hz=frontend.sample_rate_hz, length=self.buffer_length,
                                             window_length=frontend.sample_length, noise_clips=noise_clips, rirs=rirs)
        self._unknown = index.get(UNKNOWN_CLASS)
        self._order = self._epoch_order(0)
        self.num_workers = max(1, int(workers))
        self.multiprocess = bool(use_multiprocessing) and self.num_workers > 1
        self.prefetch = max(1, int(max_queue_size))
        self._pool = None
        self._pending: dict[tuple[int, int], object] = {}
        self._lock = threading.Lock()
        window_spectrogram(np.zeros(self.buffer_length, np.int16), frontend)  # compile before workers fork

    @property
    def buffer_length(self) -> int:
        """Samples per training buffer: warm-up + one model window."""
        return self.warmup + self.frontend.sample_length

    def __len__(self) -> int:
        return math.ceil(len(self.clips) / self.batch_size)

    def _epoch_order(self, epoch: int) -> np.ndarray:
        """Which clip each position of ``epoch`` uses: a seeded permutation (or balanced draw)."""
        rng = np.random.default_rng([self.seed, epoch, 0x5EED])
        if not self.balanced_sampling:
            return rng.permutation(len(self.clips))
        counts = np.bincount(self.labels, minlength=len(self.class_names)).astype(np.float64)
        weights = 1.0 / counts[self.labels]
        return rng.choice(len(self.clips), size=len(self.clips), replace=True, p=weights / weights.sum())

    def on_epoch_end(self) -> None:
        """Move to the next epoch: a new order and new augmentation draws."""
        self.set_epoch(self.epoch + 1)

    def set_epoch(self, epoch: int) -> None:
        """Jump to ``epoch`` (e.g. when resuming training)."""
        self.epoch = int(epoch)
        self._order = self._epoch_order(self.epoch)

    def reseed(self, seed: int) -> None:
        """Draw order and augmentations from ``seed`` from now on (a soup's next fine-tune); back to epoch 0."""
        if self._pool is not None:
            raise RuntimeError("reseed while batch worker processes run: their copies would keep the old seed")
        self.seed = int(seed)
        self.set_epoch(0)

    def make_sample(self, position: int, epoch: int | None = None) -> tuple[np.ndarray, int, list[dict]]:
        """The float32 audio buffer, label index and applied augmentations of one sample position."""
        epoch = self.epoch if epoch is None else epoch
        order = self._order if epoch == self.epoch else self._epoch_order(epoch)
        clip_index = int(order[position])
        clip = self.clips[clip_index]
        label = int(self.labels[clip_index])
        key, aug = (self.seed, epoch, position), self.augmentation  # each transform draws from its own stream of key
        if clip.path is None:
            audio, record = aug.make_silence(key=key, context=self._context)
            return audio, label, record
        source = _read_clip(clip.path, self.frontend.sample_rate_hz)
        if self._unknown is not None and not clip.label.startswith("_") and aug.picks_cropped_known(key):
            audio, record = aug.make_cropped_known(source, key=key, context=self._context)  # a keyword made _unknown_
            return audio, self._unknown, [{"name": "cropped_known", "from": clip.label}, *record]
        audio, record = aug(source, key=key, context=self._context)
        return audio, label, record

    def spectrogram_batch(self, index: int, epoch: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """int8 [B, frames, channels] spectrograms and int32 labels of batch ``index``."""
        epoch = self.epoch if epoch is None else epoch
        start = index * self.batch_size
        stop = min(start + self.batch_size, len(self.clips))
        if not 0 <= start < stop:
            raise IndexError(f"batch {index} out of range 0..{len(self) - 1}")
        buffers, labels = [], []
        for position in range(start, stop):
            audio, label, _ = self.make_sample(position, epoch)
            buffers.append(audio)
            labels.append(label)
        spectrograms = window_spectrogram(np.stack(buffers).astype(np.float32), self.frontend)
        for i in range(len(spectrograms)):
            spectrograms[i] = self.augmentation.mask_spectrogram(spectrograms[i], key=(self.seed, epoch, start + i))
        return spectrograms, np.asarray(labels, dtype=np.int32)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if self._pool is None:
            spectrograms, labels = self.spectrogram_batch(index)
        else:
            spectrograms, labels = self._from_workers(index)
        return spectrograms.astype(np.float32)[..., None], labels

    @contextmanager
    def worker_processes(self) -> Iterator[TrainingBatches]:
        """Make batches in ``workers`` processes while the block runs; the pool is closed on leaving it.

        The pool is made here, in the calling thread, and lives for the whole block (every epoch):
        a Ctrl-C anywhere in it leaves a pool that Python can close cleanly at exit. A worker that
        dies (killed, out of memory) is a one-line DatasetError, not a wait for its batch forever
        (why this is a ``ProcessPoolExecutor``, not a ``multiprocessing.Pool``). Without
        ``use_multiprocessing`` (or with one worker) it does nothing.
        """
        if not self.multiprocess or self._pool is not None:
            yield self
            return
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # workers start with Ctrl-C pending
        try:
            pool = ProcessPoolExecutor(self.num_workers, mp_context=_multiprocessing_context(),
                                       initializer=_start_worker, initargs=(self,))
            pool.submit(int).result()  # forked workers all start on the first task: now, with Ctrl-C blocked
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        self._pool = pool
        try:
            yield self
        finally:
            with self._lock:
                self._pool = None
                self._pending.clear()
            pool.shutdown(wait=True, cancel_futures=True)

    def _from_workers(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Batch ``index`` of this epoch from the pool, with the next ``prefetch`` batches queued behind it."""
        key = (self.epoch, int(index))
        with self._lock:
            pool = self._pool
            try:
                result = self._pending.pop(key, None) or pool.submit(_worker_batch, *key)
                ahead = self._positions_after(key)
                self._pending = {k: self._pending.get(k) or pool.submit(_worker_batch, *k) for k in ahead}
            except BrokenProcessPool:
                raise self._worker_died(key) from None
        while True:
            try:
                return result.result(timeout=0.5)
            except FutureTimeout:
                if self._pool is pool:
                    continue  # still being made
            except CancelledError:
                pass
            except BrokenProcessPool:
                raise self._worker_died(key) from None
            raise RuntimeError("the batch worker processes were stopped while a batch was being made")

    @staticmethod
    def _worker_died(key: tuple[int, int]) -> DatasetError:
        epoch, index = key
        return DatasetError(f"a batch worker process died while making batch {index + 1} of epoch {epoch + 1} "
                            "(killed, or out of memory?); train again with --resume to continue")

    def _positions_after(self, key: tuple[int, int]) -> list[tuple[int, int]]:
        """The ``prefetch`` (epoch, batch) positions that follow ``key``, into the next epoch."""
        epoch, index = key
        positions = []
        for _ in range(self.prefetch):
            epoch, index = (epoch, index + 1) if index + 1 < len(self) else (epoch + 1, 0)
            positions.append((epoch, index))
        return positions

    def __getstate__(self) -> dict:
        """What a worker process needs (pickled only where workers are spawned, not forked)."""
        state = dict(self.__dict__)
        state.update(_pool=None, _pending={}, _lock=None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


def validation_arrays(
    clips: Sequence[LabeledClip],
    *,
    class_names: Sequence[str],
    frontend: FrontendSettings,
    warmup_ms: int = 1000,
    seed: int = 0,
    use_cache: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Un-augmented (x float32 [n, frames, channels, 1], y int32 [n]) for validation, cached.

    Each clip is cut or zero-padded to one window and preceded by ``warmup_ms`` of silence (the
    device's state after quiet); generated silence entries are all zeros. The arrays are cached
    under ``$HARKEN_HOME/cache/validation`` by a hash of the files, their sizes and mtimes, the
    classes and the front-end settings.
    """
    if not clips:
        raise DatasetError("the validation set is empty")
    index = _class_index(class_names)
    key = _validation_key(clips, class_names, frontend, warmup_ms, seed)
    path = cache_dir() / "validation" / f"{key}.npz"
    if use_cache and path.is_file():
        with np.load(path) as cached:
            return cached["x"], cached["y"]
    warmup = warmup_samples(frontend, warmup_ms)
    length = frontend.sample_length
    x = np.empty((len(clips),) + frontend.spectrogram_shape + (1,), dtype=np.float32)
    y = np.empty(len(clips), dtype=np.int32)
    for start in range(0, len(clips), 256):
        chunk = clips[start:start + 256]
        buffers = np.zeros((len(chunk), warmup + length), dtype=np.float32)
        for i, clip in enumerate(chunk):
            if clip.path is not None:
                buffers[i, warmup:] = fit_length(_read_clip(clip.path, frontend.sample_rate_hz), length)
            y[start + i] = index[clip.label]
        x[start:start + len(chunk), ..., 0] = window_spectrogram(buffers, frontend)
    if use_cache:
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, x=x, y=y)
    return x, y


def _validation_key(clips, class_names, frontend, warmup_ms, seed) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([list(class_names), frontend.to_dict(), warmup_ms, seed], sort_keys=True).encode())
    for clip in clips:
        stat = os.stat(clip.path) if clip.path else None
        digest.update(f"{clip.path}|{clip.label}|{stat.st_size if stat else 0}|{stat.st_mtime_ns if stat else 0}\n"
                      .encode())
    return digest.hexdigest()[:24]


# ---- from a model specification ------------------------------------------------------------------
@dataclass
class TrainingData:
    """What ``harken.train.job`` needs: augmented training batches and cached validation arrays."""

    train: TrainingBatches
    validation: tuple[np.ndarray, np.ndarray]
    class_names: list[str]
    class_weights: dict[int, float] | None
    test_clips: list[LabeledClip]
    num_noise_clips: int = 0
    num_rirs: int = 0


def _source_root(source, *, workers: int, quiet: bool):
    """The folder of one dataset source (synthesised or downloaded on first use, then cached)."""
    from pathlib import Path

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
    """Training / validation / test clips and background-noise files of every dataset of ``spec``."""
    from harken.datasets import DirectorySettings, load_directory_dataset

    classes = set(spec.classes)
    keyword_classes = tuple(c for c in spec.classes if not c.startswith("_"))
    splits = {"training": [], "validation": [], "testing": []}
    noise_files: list[str] = []
    for source in spec.datasets:
        root = _source_root(source, workers=workers, quiet=quiet)
        keywords = tuple(source.keywords or keyword_classes) + tuple(k for k in source.class_map if not k.startswith("_"))
        settings = DirectorySettings(
            keywords=tuple(dict.fromkeys(keywords)), unknown=source.unknown and UNKNOWN_CLASS in classes,
            silence_percentage=source.silence_percentage, validation_percentage=source.validation_percentage,
            testing_percentage=source.testing_percentage, max_samples_per_class=source.max_samples_per_class,
            speaker_manifest=source.speaker_manifest, seed=spec.seed)
        dataset = load_directory_dataset(root, settings)
        for split in splits:
            splits[split] += _labelled(dataset.split(split), source.class_map, classes)
        noise_files += list(dataset.noise_files)
        if dataset.bad_files:
            log.warning("%s: %d bad files left out", root, len(dataset.bad_files))
    return {**splits, "noise_files": noise_files}


def build_training_data(spec, *, dry_run: bool = False, workers: int | None = None, quiet: bool = False) -> TrainingData:
    """Clips of the spec's datasets -> augmented training batches + cached validation arrays.

    ``workers`` processes make the batches (default: 2 on a machine with 2 or more cores). A dry
    run uses a smaller room bank; the sample caps of ``NAME-test`` come from the spec itself.
    """
    from harken.datasets.rir import RirBankSettings, rir_bank

    workers = min(2, os.cpu_count() or 1) if workers is None else max(1, int(workers))
    clips = collect_clips(spec, workers=workers, quiet=quiet)
    class_names = list(spec.classes)
    empty = [c for c in class_names if not any(clip.label == c for clip in clips["training"])]
    if empty:
        raise DatasetError(f"spec {spec.name}: no training clips for class(es) {empty}; check the datasets' folders")
    if not clips["validation"]:
        raise DatasetError(f"spec {spec.name}: the validation split is empty; add data or raise validation_percentage")
    fe = spec.frontend
    noise = [_read_clip(path, fe.sample_rate_hz) for path in clips["noise_files"]]
    bank = rir_bank(RirBankSettings(sample_rate_hz=fe.sample_rate_hz, num_rirs=8 if dry_run else 64))
    rirs = [bank.get(i) for i in range(len(bank))]
    batches = TrainingBatches(
        clips["training"], class_names=class_names, frontend=fe, augmentation=spec.augmentation,
        batch_size=spec.training.batch_size, seed=spec.seed, noise_clips=noise, rirs=rirs,
        workers=workers, use_multiprocessing=workers > 1, max_queue_size=max(4, 2 * workers))
    validation = validation_arrays(clips["validation"], class_names=class_names, frontend=fe, seed=spec.seed)
    return TrainingData(
        train=batches, validation=validation, class_names=class_names,
        class_weights=balanced_class_weights(batches.labels, len(class_names)),
        test_clips=clips["testing"], num_noise_clips=len(noise), num_rirs=len(rirs))
