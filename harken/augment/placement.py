"""Placement: put a word at a random offset inside the model window at the end of a buffer.

In: the float32 word (trimmed) and, from the context, the buffer ``length`` and the model
``window_length`` (the buffer's last samples; the samples before are the front end's warm-up and
never hold speech). Out: a zero buffer of ``length`` samples with the word in ``[offset, offset +
n)``, where ``length - window_length <= offset`` and ``offset + n <= length``: the speech span of
the stages after it. A word longer than the window is cut to a ``window_length`` piece starting at
``crop_start``. With ``p`` failing the word sits in the middle of the window.

Where the word lands: uniformly over the positions where it fits (``end_scale_ms=0``, the default),
or, with ``end_scale_ms > 0``, the way a stream shows it to the device: the gap between the word's
end and the window's end drawn from an exponential of that mean, truncated to the positions where
the word fits, so most samples hold a word that has just ended (when the recogniser should fire)
and a few hold one that ended up to a window ago. A word that fits is whole in the window, so its
keyword label stays true; the partial words at the window's edges are ``CroppedKnown``'s negatives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_number, check_probability
from harken.augment.base import PLACE, AugmentContext, Transform, check_lengths, integer


@dataclass(frozen=True, slots=True)
class PlacementParams:
    applied: bool
    offset: int
    crop_start: int
    num_samples: int  # of the (cropped) word: the speech occupies [offset, offset + num_samples)

    @property
    def speech_span(self) -> tuple[int, int]:
        return self.offset, self.offset + self.num_samples


@dataclass(slots=True, kw_only=True)
class Placement(Transform):
    """Random offset of the word inside the window: uniform where it fits, or ending near the window's end.

    ``end_scale_ms`` > 0: the word's end lies that many ms (on average, exponentially distributed,
    truncated) before the window's end, as in a stream where the device should fire as a word ends.

    Examples
    --------
    >>> t, ctx = Placement(p=1.0), AugmentContext(sample_rate_hz=16000, length=1000, window_length=500)
    >>> prm = t.sample(np.random.default_rng(0), np.ones(100, np.float32), ctx)
    >>> 500 <= prm.offset <= 900
    True
    >>> t = Placement(p=1.0, end_scale_ms=10.0)  # words end within ~10 ms of the window's end, mostly
    >>> prm = t.sample(np.random.default_rng(0), np.ones(100, np.float32), ctx)
    >>> 1000 - prm.speech_span[1] < 500
    True
    """

    name: ClassVar[str] = "placement"
    stage: ClassVar[str] = PLACE
    p: float = 1.0
    end_scale_ms: float = 0.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_number(self, "end_scale_ms", lo=0.0, hi=10_000.0, unit="ms")

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> PlacementParams:
        length, window_length = context.length, context.window_length
        check_lengths(length, window_length)
        num_samples = int(audio.size)
        u = rng.random(3)
        applied = bool(u[0] < self.p)
        crop_start = 0
        if num_samples > window_length:
            spare = num_samples - window_length
            crop_start = integer(u[1], 0, spare) if applied else spare // 2
            num_samples = window_length
        first, last = length - window_length, length - num_samples
        if not applied:
            offset = (first + last) // 2
        elif self.end_scale_ms > 0.0:
            offset = last - end_gap(u[2], last - first, self.end_scale_ms * context.sample_rate_hz / 1000.0)
        else:
            offset = integer(u[2], first, last)
        return PlacementParams(applied=applied, offset=offset, crop_start=crop_start, num_samples=num_samples)

    def apply(self, audio: np.ndarray, params: PlacementParams, context: AugmentContext) -> np.ndarray:
        """The word, cut to fit, in a zero buffer of ``context.length`` samples at ``params.offset``."""
        return place(audio[params.crop_start : params.crop_start + params.num_samples], params.offset, context.length)


def end_gap(u: float, max_gap: int, scale: float) -> int:
    """Map a uniform draw ``u`` in [0, 1) onto 0..max_gap samples, exponential of mean ``scale`` truncated there.

    Examples
    --------
    >>> end_gap(0.0, 8000, 1600.0), end_gap(0.999999, 8000, 1600.0), end_gap(0.5, 0, 1600.0)
    (0, 8000, 0)
    """
    if max_gap <= 0:
        return 0
    tail = -math.expm1(-max_gap / scale)  # the probability mass of [0, max_gap] before truncation
    gap = -scale * math.log1p(-u * tail)
    return min(max(round(gap), 0), max_gap)


def place(audio: np.ndarray, offset: int, length: int) -> np.ndarray:
    """``audio`` from sample ``offset`` of a zero float32 buffer of ``length``; what runs past the end is dropped."""
    out = np.zeros(length, np.float32)
    piece = audio[: max(0, length - offset)]
    out[offset : offset + piece.size] = piece
    return out
