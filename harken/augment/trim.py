"""Trim: cut the leading and trailing silence of a word (an energy threshold, no randomness).

In: float32 audio. Out: the part from the first to the last 10 ms frame whose RMS is within
``below_peak_db`` dB of the loudest frame. An all-zero clip keeps its full length (``applied``
False). It does not look inside the word (pauses stay).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken.augment.base import WORD, AugmentContext, Transform
from harken.errors import SettingsError


@dataclass(frozen=True, slots=True)
class TrimParams:
    applied: bool
    start: int
    stop: int


@dataclass(slots=True, kw_only=True)
class Trim(Transform):
    """Keep the spoken part of the word: frames within ``below_peak_db`` dB of the loudest.

    Examples
    --------
    >>> x = np.zeros(16000, np.float32); x[4000:8000] = 0.5
    >>> t, ctx = Trim(below_peak_db=40.0), AugmentContext(sample_rate_hz=16000)
    >>> t.apply(x, t.sample(np.random.default_rng(0), x, ctx), ctx).size
    4000
    """

    name: ClassVar[str] = "trim"
    stage: ClassVar[str] = WORD
    below_peak_db: float = 40.0

    def validate(self) -> None:
        value = self.below_peak_db
        if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0.0 < value <= 120.0):
            raise SettingsError(f"Trim.below_peak_db={value!r}: use a value in (0, 120] dB (e.g. 40)")

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> TrimParams:
        return trim_bounds(audio, sample_rate_hz=context.sample_rate_hz, below_peak_db=self.below_peak_db)

    def apply(self, audio: np.ndarray, params: TrimParams, context: AugmentContext) -> np.ndarray:
        """The part of ``audio`` between the bounds (a view)."""
        return audio[params.start : params.stop]


def trim_bounds(audio: np.ndarray, *, sample_rate_hz: int, below_peak_db: float = 40.0, frame_ms: float = 10.0) -> TrimParams:
    """Bounds of the spoken part of ``audio``.

    Parameters
    ----------
    audio : np.ndarray [shape=(n,), float32]
    sample_rate_hz : int > 0
    below_peak_db : float > 0
        Frames quieter than the loudest frame by more than this count as silence.
    frame_ms : float > 0
        Frame length of the energy measure; the bounds fall on frame edges.

    Examples
    --------
    >>> x = np.zeros(16000, np.float32); x[4000:8000] = 0.5
    >>> b = trim_bounds(x, sample_rate_hz=16000)
    >>> b.start, b.stop
    (4000, 8000)
    """
    if below_peak_db <= 0:
        raise SettingsError(f"trim below_peak_db={below_peak_db}: use a positive number of dB (e.g. 40)")
    n = int(audio.shape[0])
    frame = max(1, round(frame_ms * sample_rate_hz / 1000.0))
    num_frames = -(-n // frame)
    padded = np.zeros(num_frames * frame, np.float32)
    padded[:n] = audio
    energy = np.einsum("ij,ij->i", padded.reshape(num_frames, frame), padded.reshape(num_frames, frame))
    top = float(energy.max())
    if top <= 0.0:
        return TrimParams(applied=False, start=0, stop=n)
    loud = np.flatnonzero(energy >= top * 10.0 ** (-below_peak_db / 10.0))
    return TrimParams(applied=True, start=int(loud[0]) * frame, stop=min(n, (int(loud[-1]) + 1) * frame))
