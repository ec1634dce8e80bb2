"""Cropped known: the first part of a keyword at the window's end (or its last part at the window's start).

In: a float32 keyword (trimmed) and, from the context, the buffer ``length`` and ``window_length``.
Out: its first ``round(fraction * n)`` samples (at least one) in a zero buffer of ``length``
samples, ending at sample ``length`` (the end of the window). This is what a streaming device sees
while a word is still arriving; such samples are labelled ``_unknown_``. It takes the place of
``Placement`` for that sample (``Compose.make_cropped_known``); ``p`` is the share of keyword
samples made this way (``Compose.picks_cropped_known``). With ``p_tail`` > 0, that share of them
keeps the word's last part instead, starting where the window starts: what the device sees as a
word leaves the window, long after it should have fired (0, the default, draws as before).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_probability, check_range
from harken.augment.base import PLACE, AugmentContext, Transform, check_lengths, uniform
from harken.augment.placement import place


@dataclass(frozen=True, slots=True)
class CroppedKnownParams:
    applied: bool
    fraction: float
    num_samples: int  # of the kept start (or, with tail, end) of the word
    offset: int  # where it starts in the buffer: length - num_samples (head) or length - window_length (tail)
    tail: bool = False  # the word's last num_samples at the window's start instead of its first at the end

    @property
    def speech_span(self) -> tuple[int, int]:
        return self.offset, self.offset + self.num_samples


@dataclass(slots=True, kw_only=True)
class CroppedKnown(Transform):
    """Kept share of the word drawn uniformly in [min_fraction, max_fraction]; ``p`` of the keyword samples.

    Examples
    --------
    >>> t = CroppedKnown(min_fraction=0.5, max_fraction=0.5)
    >>> ctx = AugmentContext(sample_rate_hz=16000, length=300, window_length=200)
    >>> prm = t.sample(np.random.default_rng(0), np.ones(100, np.float32), ctx)
    >>> prm.num_samples, prm.offset
    (50, 250)
    >>> prm = CroppedKnown(min_fraction=0.5, max_fraction=0.5, p_tail=1.0).sample(
    ...     np.random.default_rng(0), np.ones(100, np.float32), ctx)
    >>> prm.num_samples, prm.offset, prm.tail
    (50, 100, True)
    """

    name: ClassVar[str] = "cropped_known"
    stage: ClassVar[str] = PLACE
    p: float = 0.05
    min_fraction: float = 0.2
    max_fraction: float = 0.5
    p_tail: float = 0.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_probability(self, "p_tail")
        check_range(self, "fraction", lo=0.01, hi=1.0)

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> CroppedKnownParams:
        length, window_length = context.length, context.window_length
        check_lengths(length, window_length)
        fraction = uniform(rng.random(), self.min_fraction, self.max_fraction)
        kept = min(max(1, round(fraction * audio.size)), window_length)
        if self.p_tail > 0.0 and rng.random() < self.p_tail:  # a second draw only then: p_tail=0 draws as before
            return CroppedKnownParams(applied=True, fraction=fraction, num_samples=kept,
                                      offset=length - window_length, tail=True)  # fmt: skip
        return CroppedKnownParams(applied=True, fraction=fraction, num_samples=kept, offset=length - kept)

    def apply(self, audio: np.ndarray, params: CroppedKnownParams, context: AugmentContext) -> np.ndarray:
        """The start of ``audio`` ending at the buffer's end, or (``tail``) its end from the window's start."""
        if params.tail:
            return place(audio[audio.size - params.num_samples :], params.offset, context.length)
        return place(audio[: params.num_samples], params.offset, context.length)
