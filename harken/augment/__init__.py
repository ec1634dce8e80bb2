"""Training-data augmentation: waveform transforms, cropped-known negatives, silence, SpecAugment.

Each transform lives in its own module with a frozen ``...Params`` dataclass, ``sample(rng, ...)``
and a pure ``apply(audio, params, *, sample_rate_hz, ...)``; ``WaveformAugmenter`` chains them
from one ``AugmentationSettings``. Randomness only ever comes from the ``rng`` passed in.

Examples
--------
>>> import numpy as np
>>> aug = WaveformAugmenter(AugmentationSettings(), sample_rate_hz=16000)
>>> x, params = aug(np.full(4000, 0.1, np.float32), length=24000, window_length=16000, rng=np.random.default_rng(1))
>>> x.shape
(24000,)
"""

from harken.augment.augmenter import WaveformAugmenter
from harken.augment.band_limit import BandLimit, BandLimitParams
from harken.augment.cold_start import ColdStart, ColdStartParams
from harken.augment.cropped import CroppedKnown, CroppedKnownParams
from harken.augment.gain import Gain, GainParams
from harken.augment.mic_eq import MicEq, MicEqParams
from harken.augment.mic_floor import MicFloor, MicFloorParams, mic_floor_clip
from harken.augment.narrowband import Narrowband, NarrowbandParams
from harken.augment.noise_mix import (
    BackgroundNoise,
    BackgroundNoiseParams,
    generated_noise_clips,
    read_noise_folder,
)
from harken.augment.pitch import PitchShift, PitchShiftParams, shift_frequencies
from harken.augment.placement import Placement, PlacementParams
from harken.augment.reverb import (
    Reverb,
    ReverbParams,
    RirSet,
    prepare_rirs,
    truncate_rir,
)
from harken.augment.settings import AugmentationSettings
from harken.augment.silence import SilenceNoise, SilenceNoiseParams, make_silence
from harken.augment.spec_augment import SpecAugment, SpecAugmentParams, spec_augment
from harken.augment.speed import Speed, SpeedParams
from harken.augment.trim import TrimParams, trim_bounds
from harken.augment.weak_ending import WeakEnding, WeakEndingParams

__all__ = [
    "AugmentationSettings",
    "BackgroundNoise",
    "BackgroundNoiseParams",
    "BandLimit",
    "BandLimitParams",
    "ColdStart",
    "ColdStartParams",
    "CroppedKnown",
    "CroppedKnownParams",
    "Gain",
    "GainParams",
    "MicEq",
    "MicEqParams",
    "MicFloor",
    "MicFloorParams",
    "Narrowband",
    "NarrowbandParams",
    "PitchShift",
    "PitchShiftParams",
    "Placement",
    "PlacementParams",
    "Reverb",
    "ReverbParams",
    "RirSet",
    "SilenceNoise",
    "SilenceNoiseParams",
    "SpecAugment",
    "SpecAugmentParams",
    "Speed",
    "SpeedParams",
    "TrimParams",
    "WaveformAugmenter",
    "WeakEnding",
    "WeakEndingParams",
    "generated_noise_clips",
    "make_silence",
    "mic_floor_clip",
    "prepare_rirs",
    "read_noise_folder",
    "shift_frequencies",
    "spec_augment",
    "trim_bounds",
    "truncate_rir",
]
