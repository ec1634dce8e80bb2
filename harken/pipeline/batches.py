"""Seeded training batches: labelled clips in, augmented int8 spectrogram batches out for Keras.

Every training sample is made fresh: read the clip, augment the waveform into a buffer of
``warmup_ms`` + one model window (the speech lands in the window; the warm-up carries the same
background), run the bit-exact front end over the whole buffer as the device would have run it,
keep the last window of frames and scale it to int8 over that window only, then SpecAugment.
Sample ``i`` of epoch ``e`` is keyed ``(seed, e, i)`` (each augmentation draws from its own stream
of that key, ``harken.augment.compose``), so any sample can be rebuilt alone, in any worker process
or order (``harken.pipeline.workers`` runs those processes).

What it does not do: choose files or classes (``harken.datasets.clips``), define the augmentations
(``harken.augment``), make validation data (``harken.pipeline.validation``) or train (``harken.training.job``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

import numpy as np

from harken.datasets.clips import LabeledClip, class_index
from harken.datasets.clips import read_clip as _read_clip  # module-level, so a test can patch it for forked workers
from harken.datasets.directory import UNKNOWN_CLASS
from harken.errors import DatasetError
from harken.frontend import FrontendSettings
from harken.frontend.window import warmup_samples, window_spectrogram
from harken.pipeline.workers import positions_after, start_pool, wait_for_batch, worker_batch, worker_died


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
        index = class_index(self.class_names)
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
        pool = start_pool(self, self.num_workers)
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
                result = self._pending.pop(key, None) or pool.submit(worker_batch, *key)
                ahead = positions_after(key, count=self.prefetch, num_batches=len(self))
                self._pending = {k: self._pending.get(k) or pool.submit(worker_batch, *k) for k in ahead}
            except BrokenProcessPool:
                raise worker_died(key) from None
        return wait_for_batch(result, key, lambda: self._pool is pool)

    def __getstate__(self) -> dict:
        """What a worker process needs (pickled only where workers are spawned, not forked)."""
        state = dict(self.__dict__)
        state.update(_pool=None, _pending={}, _lock=None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
