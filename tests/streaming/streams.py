"""Tiny labelled folders for the stream tests: 8 kHz clips holding a tone burst at a known place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 8000
FREQ_HZ = {"on": 300.0, "off": 900.0, "_unknown_": 1800.0}
BURST = (0.25, 0.65)  # where the "word" is in each 1 s clip, seconds


def burst_clip(freq_hz: float, rng: np.random.Generator, *, rate: int = RATE) -> np.ndarray:
    """One second of faint noise with a tone from BURST[0] to BURST[1] (float32)."""
    t = np.arange(rate) / rate
    clip = 1e-3 * rng.standard_normal(rate)
    inside = (t >= BURST[0]) & (t < BURST[1])
    clip[inside] += 0.3 * np.sin(2 * np.pi * freq_hz * t[inside])
    return clip.astype(np.float32)


def make_word_folder(root: Path, *, per_class: int = 3, seed: int = 0) -> Path:
    """on/, off/, _unknown_/ (words 'bed' and 'cat' by file name) and _silence_/ with ``per_class`` clips each."""
    rng = np.random.default_rng(seed)
    for label, freq in FREQ_HZ.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            name = f"{('bed', 'cat')[i % 2]}_spk{i}_nohash_0.wav" if label == "_unknown_" else f"spk{i}_nohash_0.wav"
            sf.write(root / label / name, burst_clip(freq * (1 + 0.05 * i), rng), RATE, subtype="PCM_16")
    (root / "_silence_").mkdir(exist_ok=True)
    for i in range(per_class):
        sf.write(root / "_silence_" / f"noise_{i}.wav", (0.01 * rng.standard_normal(RATE)).astype(np.float32), RATE,
                 subtype="PCM_16")
    return root


def scores_with_bumps(times_ms: np.ndarray, bumps: list[tuple[int, int, int]], *, num_classes: int = 3) -> np.ndarray:
    """uint8 scores where the last class (_unknown_) wins at 250, except within 150 ms of each
    (time_ms, class, score) bump, where that class has the score and _unknown_ the rest of 255."""
    scores = np.zeros((times_ms.size, num_classes), np.uint8)
    scores[:, -1] = 250
    for when, cls, value in bumps:
        near = np.abs(times_ms - when) <= 150
        scores[near, -1], scores[near, cls] = 255 - value, value
    return scores
