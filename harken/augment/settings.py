"""AugmentationSettings: every knob of the training-data augmentation, checked, as plain data.

Defaults are the recipe measured useful in research/sim2real.md: speed 0.85-1.15, reverb p 0.5,
random offset, peak gain -30..-1 dBFS, noise at SNR 5-30 dB with p 0.8, a mic floor at -90..-60
dBFS, a +-2 semitone pitch shift (= the 0.88-1.12 vocal-tract-length warp), SpecAugment masks,
5 % cropped-known and 10 % silence samples. It computes nothing; the transforms live in their own
modules and ``WaveformAugmenter`` chains them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

from harken.augment._checks import check_count, check_probability, check_range
from harken._util.settings import reject_unknown_keys
from harken.datasets.noise import NOISE_KINDS
from harken.errors import SettingsError

_OWNER = "AugmentationSettings"


@dataclass(slots=True, kw_only=True)
class AugmentationSettings:
    """Probabilities ``p_*`` and ``min_*``/``max_*`` ranges (units in the names) of every augmentation.

    Examples
    --------
    >>> s = AugmentationSettings(p_reverb=0.3, min_snr_db=0.0)
    >>> AugmentationSettings.from_dict(s.to_dict()) == s
    True
    """

    # trim: frames quieter than the loudest by more than this are leading/trailing silence
    trim_below_peak_db: float = 40.0
    # placement: random offset inside the model window (else the middle of the window)
    p_offset: float = 1.0
    # speed (tempo and pitch together, soxr resampling); factor 1.1 = 10 % faster
    p_speed: float = 0.8
    min_speed_factor: float = 0.85
    max_speed_factor: float = 1.15
    # pitch shift, duration kept (phase vocoder; formants move too: a vocal-tract-length warp)
    p_pitch: float = 0.5
    min_pitch_semitones: float = -2.0
    max_pitch_semitones: float = 2.0
    # gain: the word's peak level
    p_gain: float = 1.0
    min_peak_dbfs: float = -30.0
    max_peak_dbfs: float = -1.0
    # reverb: a room impulse response from the bank; tails cut where -rir_tail_db dB remain
    p_reverb: float = 0.5
    rir_tail_db: float = 60.0
    # background noise (recordings, else generated noises) at a signal-to-noise ratio
    p_noise: float = 0.8
    min_snr_db: float = 5.0
    max_snr_db: float = 30.0
    generated_noise_kinds: tuple[str, ...] = ("white", "pink", "brown", "blue", "violet", "hum50", "hum60")
    generated_noise_seed: int = 0
    # microphone noise floor at an absolute level, on every sample
    p_mic_floor: float = 1.0
    min_mic_floor_dbfs: float = -90.0
    max_mic_floor_dbfs: float = -60.0
    # cropped known: the first part of a keyword at the end of the window, labelled _unknown_
    cropped_known_fraction: float = 0.05
    min_cropped_fraction: float = 0.2
    max_cropped_fraction: float = 0.5
    # truncated known (off by default): a keyword without its ending (its first 25-50 %), placed as any word,
    # labelled _unknown_: a real "up" with a weak /p/ must not pass for "off" on its vowel alone
    truncated_known_fraction: float = 0.0
    min_truncated_fraction: float = 0.25
    max_truncated_fraction: float = 0.5
    # generated _silence_ samples: noise at a low absolute level (and the mic floor)
    silence_fraction: float = 0.1
    p_silence_noise: float = 0.8
    min_silence_noise_dbfs: float = -75.0
    max_silence_noise_dbfs: float = -35.0
    # SpecAugment on the int8 spectrogram
    p_time_mask: float = 0.5
    max_num_time_masks: int = 2
    max_time_mask_frames: int = 10
    p_freq_mask: float = 0.5
    max_num_freq_masks: int = 2
    max_freq_mask_channels: int = 8
    # the recording channel (off by default): microphone colour, band limits, phone-like narrowband,
    # applied to speech and background together, before the mic floor
    p_mic_eq: float = 0.0
    max_mic_eq_gain_db: float = 6.0
    p_band_limit: float = 0.0
    min_highpass_hz: float = 100.0
    max_highpass_hz: float = 400.0
    min_lowpass_hz: float = 3000.0
    max_lowpass_hz: float = 7000.0
    p_narrowband: float = 0.0
    min_narrowband_rate_hz: int = 8000
    max_narrowband_rate_hz: int = 11025
    p_mu_law: float = 0.5
    # cold start (off by default): a silent warm-up, so the front end meets the background at the window
    p_cold_start: float = 0.0
    # weak ending (off by default): the last part of the word attenuated, as real speakers swallow final consonants
    p_weak_ending: float = 0.0
    min_weak_ending_fraction: float = 0.15
    max_weak_ending_fraction: float = 0.45
    min_weak_ending_db: float = 6.0
    max_weak_ending_db: float = 30.0

    def __post_init__(self) -> None:
        self.generated_noise_kinds = tuple(self.generated_noise_kinds)
        self.validate()

    def validate(self) -> None:
        """Raise SettingsError naming the first bad value and the allowed range."""
        for f in fields(self):
            if f.name.startswith("p_") or (f.name.endswith("_fraction") and not f.name.startswith(("min_", "max_"))):
                check_probability(_OWNER, f.name, getattr(self, f.name))
        if not (isinstance(self.trim_below_peak_db, (int, float)) and 0.0 < self.trim_below_peak_db <= 120.0):
            raise SettingsError(f"{_OWNER}.trim_below_peak_db={self.trim_below_peak_db!r}: use a value in (0, 120] dB")
        if not (isinstance(self.rir_tail_db, (int, float)) and 10.0 <= self.rir_tail_db <= 120.0):
            raise SettingsError(f"{_OWNER}.rir_tail_db={self.rir_tail_db!r}: use a value in [10, 120] dB")
        check_range(_OWNER, "speed_factor", self.min_speed_factor, self.max_speed_factor, lo=0.25, hi=4.0)
        check_range(_OWNER, "pitch_semitones", self.min_pitch_semitones, self.max_pitch_semitones, lo=-12.0, hi=12.0)
        check_range(_OWNER, "peak_dbfs", self.min_peak_dbfs, self.max_peak_dbfs, lo=-120.0, hi=0.0, unit=" dBFS")
        check_range(_OWNER, "snr_db", self.min_snr_db, self.max_snr_db, lo=-30.0, hi=100.0, unit=" dB")
        check_range(_OWNER, "mic_floor_dbfs", self.min_mic_floor_dbfs, self.max_mic_floor_dbfs, lo=-140.0, hi=0.0, unit=" dBFS")
        check_range(_OWNER, "weak_ending_fraction", self.min_weak_ending_fraction, self.max_weak_ending_fraction, lo=0.0, hi=1.0)
        check_range(_OWNER, "weak_ending_db", self.min_weak_ending_db, self.max_weak_ending_db, lo=0.0, hi=120.0, unit=" dB")
        check_range(_OWNER, "truncated_fraction", self.min_truncated_fraction, self.max_truncated_fraction, lo=0.01, hi=1.0)
        check_range(_OWNER, "cropped_fraction", self.min_cropped_fraction, self.max_cropped_fraction, lo=0.01, hi=1.0)
        check_range(_OWNER, "silence_noise_dbfs", self.min_silence_noise_dbfs, self.max_silence_noise_dbfs, lo=-140.0, hi=0.0,
                    unit=" dBFS")  # fmt: skip
        if not (isinstance(self.max_mic_eq_gain_db, (int, float)) and 0.0 <= self.max_mic_eq_gain_db <= 24.0):
            raise SettingsError(f"{_OWNER}.max_mic_eq_gain_db={self.max_mic_eq_gain_db!r}: use a value in [0, 24] dB")
        check_range(_OWNER, "highpass_hz", self.min_highpass_hz, self.max_highpass_hz, lo=10.0, hi=2000.0, unit=" Hz")
        check_range(_OWNER, "lowpass_hz", self.min_lowpass_hz, self.max_lowpass_hz, lo=1000.0, hi=24000.0, unit=" Hz")
        check_range(_OWNER, "narrowband_rate_hz", self.min_narrowband_rate_hz, self.max_narrowband_rate_hz, lo=2000, hi=48000,
                    unit=" Hz")  # fmt: skip
        if self.cropped_known_fraction + self.truncated_known_fraction > 1.0:
            raise SettingsError(
                f"{_OWNER}.cropped_known_fraction={self.cropped_known_fraction} + truncated_known_fraction="
                f"{self.truncated_known_fraction} > 1: together they are a share of the keyword samples; lower one of them"
            )
        if self.cropped_known_fraction + self.silence_fraction > 1.0:
            raise SettingsError(
                f"{_OWNER}.cropped_known_fraction={self.cropped_known_fraction} + silence_fraction={self.silence_fraction} "
                "> 1: together they are a share of the samples; lower one of them"
            )
        if not self.generated_noise_kinds:
            raise SettingsError(f"{_OWNER}.generated_noise_kinds is empty; name at least one of {', '.join(NOISE_KINDS)}")
        for kind in self.generated_noise_kinds:
            if kind not in NOISE_KINDS:
                raise SettingsError(f"{_OWNER}.generated_noise_kinds: {kind!r} is unknown; use some of {', '.join(NOISE_KINDS)}")
        check_count(_OWNER, "generated_noise_seed", self.generated_noise_seed, hi=2**63 - 1)
        for key in ("max_num_time_masks", "max_time_mask_frames", "max_num_freq_masks", "max_freq_mask_channels"):
            check_count(_OWNER, key, getattr(self, key), hi=10_000)

    def to_dict(self) -> dict[str, Any]:
        """Every setting as plain JSON types (lists for tuples)."""
        d = dataclasses.asdict(self)
        d["generated_noise_kinds"] = list(self.generated_noise_kinds)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AugmentationSettings:
        """Build from ``to_dict()`` output; unknown keys are rejected with the closest name."""
        if not isinstance(data, dict):
            raise SettingsError(f"{_OWNER}: expected a dict of settings, got {type(data).__name__}")
        reject_unknown_keys(data, [f.name for f in fields(cls)], owner=_OWNER)
        return cls(**data)
