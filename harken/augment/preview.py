"""``harken view-audio``: see and hear what training sees for one clip.

In: an audio file, front-end settings and a ``Compose``. Out: in a folder, the clip's own
spectrogram PNG, and N augmented versions as wavs (the model window) plus PNGs, with the drawn
augmentation parameters in ``augmentations.json``. Uses the same code path as the training
pipeline (warm-up buffer, window-only int8 scaling, SpecAugment); view ``i`` is the sample of key
``(seed, i)``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from harken._util.atomic import write_json_atomic
from harken.audio.io import read_audio, write_wav
from harken.augment.compose import Compose
from harken.frontend.files import save_pngs
from harken.frontend import FrontendSettings, warmup_samples, window_spectrogram


def render_views(
    audio_path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    frontend: FrontendSettings,
    augmentation: Compose,
    count: int = 8,
    seed: int = 0,
    warmup_ms: int = 1000,
    noise_clips=(),
    rirs=(),
) -> list[Path]:
    """Write the original and ``count`` augmented views of one clip; returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = Path(audio_path).stem
    audio, _ = read_audio(audio_path, sample_rate_hz=frontend.sample_rate_hz, dtype="float32")
    window = frontend.sample_length
    warmup = warmup_samples(frontend, warmup_ms)
    original = np.zeros(warmup + window, np.float32)
    original[warmup:warmup + min(window, len(audio))] = audio[:window]
    arrays = {f"{stem}_original.wav": window_spectrogram(original, frontend)}
    context = augmentation.context(sample_rate_hz=frontend.sample_rate_hz, length=warmup + window,
                                   window_length=window, noise_clips=noise_clips, rirs=rirs)
    records, written = {}, []
    for i in range(count):
        buffer, record = augmentation(audio, key=(seed, i), context=context)
        spectrogram = augmentation.mask_spectrogram(window_spectrogram(buffer, frontend), key=(seed, i))
        name = f"{stem}_aug{i:02d}.wav"
        write_wav(out / name, buffer[-window:], frontend.sample_rate_hz)
        written.append(out / name)
        arrays[name] = spectrogram
        records[name] = record
    written += save_pngs(out, arrays, frontend)
    write_json_atomic(out / "augmentations.json", json.loads(json.dumps(records, default=_plain)), indent=1)
    written.append(out / "augmentations.json")
    return written


def _plain(value):
    """JSON fallback for numpy scalars/arrays inside augmentation records."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
