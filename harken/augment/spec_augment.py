"""SpecAugment-style masks on an int8 spectrogram: time stripes and frequency stripes.

In: an int8 ``[frames, channels]`` spectrogram (the front end's output). Out: a new int8 array
with up to ``max_num_time_masks`` stripes of at most ``max_time_mask_frames`` frames, and up to
``max_num_freq_masks`` stripes of at most ``max_freq_mask_channels`` channels, set to -128 (the
int8 minimum: "no energy"; another integer type gets its own minimum). Each kind of mask is applied with its own probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_count, check_probability, integer
from harken.augment.settings import AugmentationSettings
from harken.errors import AudioError

MASK_VALUE = -128


@dataclass(frozen=True, slots=True)
class SpecAugmentParams:
    applied: bool
    time_masks: tuple[tuple[int, int], ...]  # (first frame, number of frames)
    freq_masks: tuple[tuple[int, int], ...]  # (first channel, number of channels)


@dataclass(slots=True, kw_only=True)
class SpecAugment:
    """Time and frequency masks; counts and widths drawn uniformly from 0 (or 1) to their maxima.

    Examples
    --------
    >>> t = SpecAugment(p_time_mask=1.0, max_num_time_masks=1, max_time_mask_frames=5, p_freq_mask=0.0)
    >>> prm = t.sample(np.random.default_rng(0), num_frames=98, num_channels=40)
    >>> len(prm.time_masks), len(prm.freq_masks)
    (1, 0)
    """

    name = "spec_augment"
    p_time_mask: float = 0.5
    max_num_time_masks: int = 2
    max_time_mask_frames: int = 10
    p_freq_mask: float = 0.5
    max_num_freq_masks: int = 2
    max_freq_mask_channels: int = 8

    def __post_init__(self) -> None:
        check_probability("SpecAugment", "p_time_mask", self.p_time_mask)
        check_probability("SpecAugment", "p_freq_mask", self.p_freq_mask)
        for key in ("max_num_time_masks", "max_time_mask_frames", "max_num_freq_masks", "max_freq_mask_channels"):
            check_count("SpecAugment", key, getattr(self, key), hi=10_000)

    def sample(self, rng: np.random.Generator, *, num_frames: int, num_channels: int) -> SpecAugmentParams:
        time_masks = self._masks(rng, self.p_time_mask, self.max_num_time_masks, self.max_time_mask_frames, num_frames)
        freq_masks = self._masks(rng, self.p_freq_mask, self.max_num_freq_masks, self.max_freq_mask_channels, num_channels)
        return SpecAugmentParams(applied=bool(time_masks or freq_masks), time_masks=time_masks, freq_masks=freq_masks)

    @staticmethod
    def _masks(rng: np.random.Generator, p: float, max_count: int, max_width: int, size: int) -> tuple[tuple[int, int], ...]:
        u = rng.random(2 + 2 * max_count)  # a fixed number of draws whatever is applied
        if u[0] >= p or max_count == 0 or max_width == 0 or size == 0:
            return ()
        count = integer(u[1], 1, max_count)
        masks = []
        for i in range(count):
            width = integer(u[2 + 2 * i], 1, min(max_width, size))
            masks.append((integer(u[3 + 2 * i], 0, size - width), width))
        return tuple(masks)

    @staticmethod
    def apply(spectrogram: np.ndarray, params: SpecAugmentParams) -> np.ndarray:
        out = spectrogram.copy()
        floor = np.iinfo(out.dtype).min if np.issubdtype(out.dtype, np.integer) else out.min(initial=0.0)
        for start, width in params.time_masks:
            out[start : start + width, :] = floor
        for start, width in params.freq_masks:
            out[:, start : start + width] = floor
        return out


def spec_augment(spectrogram: np.ndarray, *, rng: np.random.Generator, settings: AugmentationSettings) -> np.ndarray:
    """Time and frequency masks on an int8 ``[frames, channels]`` spectrogram (a new array).

    Parameters
    ----------
    spectrogram : np.ndarray [shape=(frames, channels), int8]
    rng : numpy.random.Generator
    settings : AugmentationSettings
        ``p_time_mask``, ``max_num_time_masks``, ``max_time_mask_frames`` and the ``freq`` ones.

    Examples
    --------
    >>> s = AugmentationSettings(p_time_mask=1.0, p_freq_mask=0.0)
    >>> y = spec_augment(np.zeros((98, 40), np.int8), rng=np.random.default_rng(0), settings=s)
    >>> y.dtype.name, bool((y == -128).any())
    ('int8', True)
    """
    if not isinstance(spectrogram, np.ndarray) or spectrogram.ndim != 2:
        raise AudioError(f"spec_augment: expected a [frames, channels] array, got shape {np.shape(spectrogram)}")
    transform = spec_augment_from(settings)
    params = transform.sample(rng, num_frames=spectrogram.shape[0], num_channels=spectrogram.shape[1])
    return transform.apply(spectrogram, params)


def spec_augment_from(settings: AugmentationSettings) -> SpecAugment:
    """The ``SpecAugment`` transform that ``settings`` describes."""
    return SpecAugment(
        p_time_mask=settings.p_time_mask,
        max_num_time_masks=settings.max_num_time_masks,
        max_time_mask_frames=settings.max_time_mask_frames,
        p_freq_mask=settings.p_freq_mask,
        max_num_freq_masks=settings.max_num_freq_masks,
        max_freq_mask_channels=settings.max_freq_mask_channels,
    )
