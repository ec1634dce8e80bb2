"""Validation arrays: labelled clips in, un-augmented int8 spectrograms (as float32) out, cached on disk.

Each clip is cut or zero-padded to one model window and preceded by ``warmup_ms`` of silence (the
device's state after quiet); generated silence entries are all zeros. The arrays are cached under
``$HARKEN_HOME/cache/validation`` by a hash of the files, their sizes and mtimes, the classes and
the front-end settings, so a second run (or a resumed one) reads them back.

What it does not do: augment (``harken.pipeline.batches`` does, for training) or choose the clips
(``harken.datasets.clips``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence

import numpy as np

from harken._util.atomic import atomic_path
from harken._util.paths import cache_dir
from harken.audio.io import fit_length
from harken.datasets.clips import LabeledClip, class_index, read_clip
from harken.errors import DatasetError
from harken.frontend import FrontendSettings
from harken.frontend.window import warmup_samples, window_spectrogram

#: Clips run through the front end at once (bounds the float32 buffers' memory).
_CHUNK = 256


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
    index = class_index(class_names)
    key = _validation_key(clips, class_names, frontend, warmup_ms, seed)
    path = cache_dir() / "validation" / f"{key}.npz"
    if use_cache and path.is_file():
        with np.load(path) as cached:
            return cached["x"], cached["y"]
    x, y = _spectrograms(clips, index, frontend, warmup_ms)
    if use_cache:
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, x=x, y=y)
    return x, y


def _spectrograms(clips: Sequence[LabeledClip], index: dict[str, int], frontend: FrontendSettings,
                  warmup_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """The validation arrays, computed: ``_CHUNK`` clips at a time through the front end."""
    warmup = warmup_samples(frontend, warmup_ms)
    length = frontend.sample_length
    x = np.empty((len(clips),) + frontend.spectrogram_shape + (1,), dtype=np.float32)
    y = np.empty(len(clips), dtype=np.int32)
    for start in range(0, len(clips), _CHUNK):
        chunk = clips[start:start + _CHUNK]
        buffers = np.zeros((len(chunk), warmup + length), dtype=np.float32)
        for i, clip in enumerate(chunk):
            if clip.path is not None:
                buffers[i, warmup:] = fit_length(read_clip(clip.path, frontend.sample_rate_hz), length)
            y[start + i] = index[clip.label]
        x[start:start + len(chunk), ..., 0] = window_spectrogram(buffers, frontend)
    return x, y


def _validation_key(clips, class_names, frontend, warmup_ms, seed) -> str:
    """The cache key: a hash of the classes, front end, warm-up, seed and every clip's path, label, size and mtime."""
    digest = hashlib.sha256()
    digest.update(json.dumps([list(class_names), frontend.to_dict(), warmup_ms, seed], sort_keys=True).encode())
    for clip in clips:
        stat = os.stat(clip.path) if clip.path else None
        digest.update(f"{clip.path}|{clip.label}|{stat.st_size if stat else 0}|{stat.st_mtime_ns if stat else 0}\n"
                      .encode())
    return digest.hexdigest()[:24]
