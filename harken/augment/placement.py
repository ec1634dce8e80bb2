"""Placement: put a word at a random offset inside the model window at the end of a buffer.

In: float32 word (trimmed), the buffer ``length`` and the model ``window_length`` (the buffer's
last samples; the samples before are the front end's warm-up and never hold speech). Out: a
zero buffer of ``length`` samples with the word in ``[offset, offset + n)``, where
``length - window_length <= offset`` and ``offset + n <= length``. A word longer than the window
is cut to a ``window_length`` piece starting at ``crop_start``. Anything past ``length`` (a reverb
tail) is dropped. With ``p`` failing the word sits in the middle of the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_lengths, check_probability, integer


@dataclass(frozen=True, slots=True)
class PlacementParams:
    applied: bool
    offset: int
    crop_start: int
    num_samples: int  # of the (cropped) word: the speech occupies [offset, offset + num_samples)


@dataclass(slots=True, kw_only=True)
class Placement:
    """Random offset of the word inside the window (uniform over the positions where it fits).

    Examples
    --------
    >>> t = Placement(p=1.0)
    >>> prm = t.sample(np.random.default_rng(0), num_samples=100, length=1000, window_length=500)
    >>> 500 <= prm.offset <= 900
    True
    """

    name = "placement"
    p: float = 1.0

    def __post_init__(self) -> None:
        check_probability("Placement", "p", self.p)

    def sample(self, rng: np.random.Generator, *, num_samples: int, length: int, window_length: int) -> PlacementParams:
        check_lengths(length, window_length)
        u = rng.random(3)
        applied = bool(u[0] < self.p)
        crop_start = 0
        if num_samples > window_length:
            spare = num_samples - window_length
            crop_start = integer(u[1], 0, spare) if applied else spare // 2
            num_samples = window_length
        first, last = length - window_length, length - num_samples
        offset = integer(u[2], first, last) if applied else (first + last) // 2
        return PlacementParams(applied=applied, offset=offset, crop_start=crop_start, num_samples=num_samples)

    @staticmethod
    def cut(audio: np.ndarray, params: PlacementParams) -> np.ndarray:
        """The part of the word that fits the window (all of it unless it is longer)."""
        return audio[params.crop_start : params.crop_start + params.num_samples]

    @staticmethod
    def apply(audio: np.ndarray, params: PlacementParams, *, sample_rate_hz: int, length: int) -> np.ndarray:
        """The word, cut to fit, in a zero buffer of ``length`` samples at ``params.offset``."""
        return place(Placement.cut(audio, params), params.offset, length)


def place(audio: np.ndarray, offset: int, length: int) -> np.ndarray:
    """``audio`` from sample ``offset`` of a zero float32 buffer of ``length``; what runs past the end is dropped."""
    out = np.zeros(length, np.float32)
    piece = audio[: max(0, length - offset)]
    out[offset : offset + piece.size] = piece
    return out
