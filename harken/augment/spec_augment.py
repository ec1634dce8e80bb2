"""SpecAugment-style masks on an int8 spectrogram: time stripes and frequency stripes.

In: an int8 ``[frames, channels]`` spectrogram (the front end's output). Out: a new int8 array
with up to ``max_num_time_masks`` stripes of at most ``max_time_mask_frames`` frames, and up to
``max_num_freq_masks`` stripes of at most ``max_freq_mask_channels`` channels, set to -128 (the
int8 minimum: "no energy"; another integer type gets its own minimum). Each kind of mask is
applied with its own probability. ``Compose.mask_spectrogram`` runs it on its own random stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import Settings, check_count, check_probability
from harken.augment.base import integer

MASK_VALUE = -128


@dataclass(frozen=True, slots=True)
class SpecAugmentParams:
    applied: bool
    time_masks: tuple[tuple[int, int], ...]  # (first frame, number of frames)
    freq_masks: tuple[tuple[int, int], ...]  # (first channel, number of channels)


@dataclass(slots=True, kw_only=True)
class SpecAugment(Settings):
    """Time and frequency masks; counts and widths drawn uniformly from 1 to their maxima.

    Examples
    --------
    >>> t = SpecAugment(p_time_mask=1.0, max_num_time_masks=1, max_time_mask_frames=5, p_freq_mask=0.0)
    >>> prm = t.sample(np.random.default_rng(0), num_frames=98, num_channels=40)
    >>> len(prm.time_masks), len(prm.freq_masks)
    (1, 0)
    """

    name: ClassVar[str] = "spec_augment"
    p_time_mask: float = 0.5
    max_num_time_masks: int = 2
    max_time_mask_frames: int = 10
    p_freq_mask: float = 0.5
    max_num_freq_masks: int = 2
    max_freq_mask_channels: int = 8

    def validate(self) -> None:
        check_probability(self, "p_time_mask")
        check_probability(self, "p_freq_mask")
        for key in ("max_num_time_masks", "max_time_mask_frames", "max_num_freq_masks", "max_freq_mask_channels"):
            check_count(self, key, hi=10_000)

    def sample(self, rng: np.random.Generator, *, num_frames: int, num_channels: int) -> SpecAugmentParams:
        time_masks = _masks(rng, self.p_time_mask, self.max_num_time_masks, self.max_time_mask_frames, num_frames)
        freq_masks = _masks(rng, self.p_freq_mask, self.max_num_freq_masks, self.max_freq_mask_channels, num_channels)
        return SpecAugmentParams(applied=bool(time_masks or freq_masks), time_masks=time_masks, freq_masks=freq_masks)

    @staticmethod
    def apply(spectrogram: np.ndarray, params: SpecAugmentParams) -> np.ndarray:
        """The spectrogram with the masks at its type's minimum (a new array)."""
        out = spectrogram.copy()
        floor = np.iinfo(out.dtype).min if np.issubdtype(out.dtype, np.integer) else out.min(initial=0.0)
        for start, width in params.time_masks:
            out[start : start + width, :] = floor
        for start, width in params.freq_masks:
            out[:, start : start + width] = floor
        return out


def _masks(rng: np.random.Generator, p: float, max_count: int, max_width: int, size: int) -> tuple[tuple[int, int], ...]:
    """Up to ``max_count`` (start, width) stripes of at most ``max_width`` in ``size``, with probability ``p``."""
    u = rng.random(2 + 2 * max_count)  # a fixed number of draws whatever is applied
    if u[0] >= p or max_count == 0 or max_width == 0 or size == 0:
        return ()
    count = integer(u[1], 1, max_count)
    masks = []
    for i in range(count):
        width = integer(u[2 + 2 * i], 1, min(max_width, size))
        masks.append((integer(u[3 + 2 * i], 0, size - width), width))
    return tuple(masks)
