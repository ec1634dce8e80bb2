"""Cropped known: the first part of a keyword, placed so it ends where the model window ends.

In: a float32 keyword (trimmed) and, from the context, the buffer ``length`` and ``window_length``.
Out: its first ``round(fraction * n)`` samples (at least one) in a zero buffer of ``length``
samples, ending at sample ``length`` (the end of the window). This is what a streaming device sees
while a word is still arriving; such samples are labelled ``_unknown_``. It takes the place of
``Placement`` for that sample (``Compose.make_cropped_known``); ``p`` is the share of keyword
samples made this way (``Compose.picks_cropped_known``).
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
    num_samples: int  # of the kept start of the word
    offset: int  # where it starts in the buffer: length - num_samples

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
    """

    name: ClassVar[str] = "cropped_known"
    stage: ClassVar[str] = PLACE
    p: float = 0.05
    min_fraction: float = 0.2
    max_fraction: float = 0.5

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "fraction", lo=0.01, hi=1.0)

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> CroppedKnownParams:
        length, window_length = context.length, context.window_length
        check_lengths(length, window_length)
        fraction = uniform(rng.random(), self.min_fraction, self.max_fraction)
        kept = min(max(1, round(fraction * audio.size)), window_length)
        return CroppedKnownParams(applied=True, fraction=fraction, num_samples=kept, offset=length - kept)

    def apply(self, audio: np.ndarray, params: CroppedKnownParams, context: AugmentContext) -> np.ndarray:
        """The start of ``audio`` in a zero buffer of ``context.length``, ending at its end."""
        return place(audio[: params.num_samples], params.offset, context.length)
