"""Microphone noise floor: add a microphone's self-noise at an absolute level (dBFS RMS).

In: a float32 buffer. Out: buffer + a piece of a long mic-noise clip (mostly white with some pink,
20 Hz high-pass: ``harken.datasets.noise.mic_noise_floor``) scaled to ``level_dbfs`` RMS over the
buffer. The level is absolute, not relative to the speech, like the dev-board "silence" recordings
mixed into every sample so they sound as if captured by that microphone. Added last, dry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_probability, check_range, uniform
from harken.augment.noise_mix import draw_start, mean_square, segment
from harken.datasets.noise import mic_noise_floor


@dataclass(frozen=True, slots=True)
class MicFloorParams:
    applied: bool
    start: int
    level_dbfs: float


@dataclass(slots=True, kw_only=True)
class MicFloor:
    """Floor level drawn uniformly in [min_level_dbfs, max_level_dbfs], with probability ``p``.

    Examples
    --------
    >>> t = MicFloor(p=1.0, min_level_dbfs=-60.0, max_level_dbfs=-60.0)
    >>> clip = mic_floor_clip(16000)
    >>> y = t.apply(np.zeros(8000, np.float32), t.sample(np.random.default_rng(0), clip_length=clip.size, length=8000),
    ...             sample_rate_hz=16000, floor_clip=clip)
    >>> round(float(10 * np.log10(np.mean(y.astype(np.float64) ** 2))), 1)
    -60.0
    """

    name = "mic_floor"
    p: float = 1.0
    min_level_dbfs: float = -90.0
    max_level_dbfs: float = -60.0

    def __post_init__(self) -> None:
        check_probability("MicFloor", "p", self.p)
        check_range("MicFloor", "level_dbfs", self.min_level_dbfs, self.max_level_dbfs, lo=-140.0, hi=0.0, unit=" dBFS")

    def sample(self, rng: np.random.Generator, *, clip_length: int, length: int) -> MicFloorParams:
        u = rng.random(3)
        return MicFloorParams(
            applied=bool(u[0] < self.p),
            start=draw_start(u[1], clip_length, length),
            level_dbfs=uniform(u[2], self.min_level_dbfs, self.max_level_dbfs),
        )

    @staticmethod
    def apply(audio: np.ndarray, params: MicFloorParams, *, sample_rate_hz: int, floor_clip: np.ndarray) -> np.ndarray:
        if not params.applied:
            return audio
        return audio + scaled_segment(floor_clip, params.start, audio.size, params.level_dbfs)


def scaled_segment(clip: np.ndarray, start: int, length: int, level_dbfs: float) -> np.ndarray:
    """A ``length``-sample piece of ``clip`` from ``start``, scaled to ``level_dbfs`` RMS (float32)."""
    piece = segment(clip, start, length)
    power = mean_square(piece)
    if power == 0.0:
        return np.zeros(length, np.float32)
    return piece * np.float32(10.0 ** (level_dbfs / 20.0) / np.sqrt(power))


@functools.lru_cache(maxsize=4)
def mic_floor_clip(sample_rate_hz: int, *, seed: int = 0, duration_s: float = 5.0) -> np.ndarray:
    """A read-only float32 mic-noise clip at -20 dBFS RMS, cached per process."""
    clip = mic_noise_floor(round(duration_s * sample_rate_hz), sample_rate_hz=sample_rate_hz, rms_db=-20.0,
                           rng=np.random.default_rng([seed, 1_000]))  # fmt: skip
    clip.flags.writeable = False
    return clip
