"""Training-data augmentation: waveform transforms composed in order, negatives, SpecAugment.

Each transform is a settings dataclass in its own module (``Speed(p=0.8, min_speed_factor=0.85,
...)``) with a frozen ``...Params`` dataclass, ``sample(rng, audio, context)`` and a pure
``apply(audio, params, context)``. A spec's augmentation is a ``Compose`` of them, plus the
cropped-known and silence negatives and the spectrogram masks; each transform draws from its own
random stream, derived from the sample's ``(seed, epoch, index)`` and the transform's name.

Examples
--------
>>> import numpy as np
>>> aug = Compose()
>>> ctx = aug.context(sample_rate_hz=16000, length=24000, window_length=16000)
>>> x, params = aug(np.full(4000, 0.1, np.float32), key=(1, 0, 0), context=ctx)
>>> x.shape
(24000,)
"""

from harken.augment.band_limit import BandLimit, BandLimitParams
from harken.augment.base import AugmentContext, Transform
from harken.augment.compose import TRANSFORMS, Compose, default_transforms, stream_key
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
from harken.augment.reverb import Reverb, ReverbParams, RirSet, prepare_rirs, truncate_rir
from harken.augment.silence import SilenceNoise, SilenceNoiseParams
from harken.augment.spec_augment import SpecAugment, SpecAugmentParams
from harken.augment.speed import Speed, SpeedParams
from harken.augment.trim import Trim, TrimParams, trim_bounds

__all__ = [
    "TRANSFORMS",
    "AugmentContext",
    "BackgroundNoise",
    "BackgroundNoiseParams",
    "BandLimit",
    "BandLimitParams",
    "Compose",
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
    "Transform",
    "Trim",
    "TrimParams",
    "default_transforms",
    "generated_noise_clips",
    "mic_floor_clip",
    "prepare_rirs",
    "read_noise_folder",
    "shift_frequencies",
    "stream_key",
    "trim_bounds",
    "truncate_rir",
]
