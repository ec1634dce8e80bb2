"""Cropped known: the first part of a keyword, placed so it ends where the model window ends.

In: a float32 keyword (trimmed). Out: its first ``round(fraction * n)`` samples (at least one)
in a zero buffer of ``length`` samples, ending at sample ``length`` (the end of the window). This
is what a streaming device sees while a word is still arriving; such samples are labelled
``_unknown_``. Reverb, noise and the floor are added afterwards by the augmenter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_lengths, check_range, uniform
from harken.augment.placement import place


@dataclass(frozen=True, slots=True)
class CroppedKnownParams:
    applied: bool
    fraction: float
    num_samples: int  # of the kept start of the word
    offset: int  # where it starts in the buffer: length - num_samples


@dataclass(slots=True, kw_only=True)
class CroppedKnown:
    """Kept share of the word drawn uniformly in [min_fraction, max_fraction] (always applied).

    Examples
    --------
    >>> t = CroppedKnown(min_fraction=0.5, max_fraction=0.5)
    >>> prm = t.sample(np.random.default_rng(0), num_samples=100, length=300, window_length=200)
    >>> prm.num_samples, prm.offset
    (50, 250)
    """

    name = "cropped_known"
    min_fraction: float = 0.2
    max_fraction: float = 0.5

    def __post_init__(self) -> None:
        check_range("CroppedKnown", "fraction", self.min_fraction, self.max_fraction, lo=0.01, hi=1.0)

    def sample(self, rng: np.random.Generator, *, num_samples: int, length: int, window_length: int) -> CroppedKnownParams:
        check_lengths(length, window_length)
        fraction = uniform(rng.random(), self.min_fraction, self.max_fraction)
        kept = min(max(1, round(fraction * num_samples)), window_length)
        return CroppedKnownParams(applied=True, fraction=fraction, num_samples=kept, offset=length - kept)

    @staticmethod
    def crop(audio: np.ndarray, params: CroppedKnownParams) -> np.ndarray:
        """The kept start of the word (a view)."""
        return audio[: params.num_samples]

    @staticmethod
    def apply(audio: np.ndarray, params: CroppedKnownParams, *, sample_rate_hz: int, length: int) -> np.ndarray:
        """The start of ``audio`` in a zero buffer, ending at ``length``."""
        return place(CroppedKnown.crop(audio, params), params.offset, length)
