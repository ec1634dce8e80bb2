"""WaveformAugmenter: the chain of waveform augmentations that turns one word clip into a sample.

In: a float32 word clip (any length), the buffer ``length`` and the model ``window_length`` (the
buffer's last samples), an ``rng``. Out: float32 audio of exactly ``length`` samples in [-1, 1)
and the applied transforms' params as plain dicts. The chain, in order:

    trim -> speed -> pitch shift -> gain -> [truncation] -> placement (or cropped known) -> weak ending -> reverb
         -> background noise (at an SNR over the speech) -> mic EQ -> band limit -> narrowband
         -> mic floor -> cold start -> clip to [-1, 1)

Speech only ever lands inside the window; the warm-up before it holds the same noise and floor,
so the front end's noise reduction has settled when the window starts. Every transform draws a
fixed number of values from ``rng`` whether ``p`` applies it or not, so the same rng state gives
the same sample, and turning one transform off leaves the others' draws as they were.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from harken.audio.io import check_audio, to_float32
from harken.augment import trim
from harken.augment._checks import check_lengths
from harken.augment.band_limit import BandLimit
from harken.augment.base import params_to_dict
from harken.augment.cold_start import ColdStart
from harken.augment.cropped import CroppedKnown
from harken.augment.gain import Gain
from harken.augment.mic_eq import MicEq
from harken.augment.mic_floor import MicFloor, mic_floor_clip
from harken.augment.narrowband import Narrowband
from harken.augment.noise_mix import BackgroundNoise, generated_noise_clips
from harken.augment.pitch import PitchShift
from harken.augment.placement import Placement, place
from harken.augment.reverb import Reverb, RirSet
from harken.augment.settings import AugmentationSettings
from harken.augment.silence import MAX_SAMPLE, silence_from
from harken.augment.speed import Speed
from harken.augment.weak_ending import WeakEnding
from harken.errors import SettingsError


class WaveformAugmenter:
    """Augment word clips into training samples (see the module docstring for the chain).

    Parameters
    ----------
    settings : AugmentationSettings
        Read once here: build a new augmenter after changing them.
    sample_rate_hz : int > 0
    noise_clips : sequence of np.ndarray [shape=(n,), float32]
        Background recordings of any length; empty: generated noises (``settings.generated_noise_kinds``).
    rirs : sequence of np.ndarray [shape=(m,), float32]
        Room impulse responses (e.g. ``RirBank`` items); empty: no reverb.

    Examples
    --------
    >>> aug = WaveformAugmenter(AugmentationSettings(), sample_rate_hz=16000)
    >>> word = np.sin(np.arange(8000) * 0.05).astype(np.float32) * 0.5
    >>> x, log = aug(word, length=32000, window_length=16000, rng=np.random.default_rng(0))
    >>> x.shape, x.dtype.name, log[0]["name"]
    ((32000,), 'float32', 'trim')
    """

    def __init__(
        self,
        settings: AugmentationSettings,
        *,
        sample_rate_hz: int,
        noise_clips: Sequence[np.ndarray] = (),
        rirs: Sequence[np.ndarray] = (),
    ) -> None:
        settings.validate()
        if int(sample_rate_hz) < 1000:
            raise SettingsError(f"sample_rate_hz={sample_rate_hz}: use the front end's rate (e.g. 16000)")
        s = settings
        self.settings = s
        self.sample_rate_hz = int(sample_rate_hz)
        clips = [np.ascontiguousarray(to_float32(check_audio(c, name=f"noise_clips[{i}]"))) for i, c in enumerate(noise_clips)]
        self.noise_clips = clips or list(generated_noise_clips(self.sample_rate_hz, kinds=s.generated_noise_kinds, seed=s.generated_noise_seed))
        self.rirs = RirSet(rirs, tail_db=s.rir_tail_db)
        self.floor_clip = mic_floor_clip(self.sample_rate_hz, seed=s.generated_noise_seed)
        self.speed = Speed(p=s.p_speed, min_factor=s.min_speed_factor, max_factor=s.max_speed_factor)
        self.pitch = PitchShift(p=s.p_pitch, min_semitones=s.min_pitch_semitones, max_semitones=s.max_pitch_semitones)
        self.gain = Gain(p=s.p_gain, min_peak_dbfs=s.min_peak_dbfs, max_peak_dbfs=s.max_peak_dbfs)
        self.placement = Placement(p=s.p_offset)
        self.cropped = CroppedKnown(min_fraction=s.min_cropped_fraction, max_fraction=s.max_cropped_fraction)
        self.truncated = CroppedKnown(min_fraction=s.min_truncated_fraction, max_fraction=s.max_truncated_fraction)
        self.reverb = Reverb(p=s.p_reverb)
        self.noise = BackgroundNoise(p=s.p_noise, min_snr_db=s.min_snr_db, max_snr_db=s.max_snr_db)
        self.floor = MicFloor(p=s.p_mic_floor, min_level_dbfs=s.min_mic_floor_dbfs, max_level_dbfs=s.max_mic_floor_dbfs)
        self.mic_eq = MicEq(p=s.p_mic_eq, max_gain_db=s.max_mic_eq_gain_db)
        self.band_limit = BandLimit(p=s.p_band_limit, min_highpass_hz=s.min_highpass_hz, max_highpass_hz=s.max_highpass_hz,
                                    min_lowpass_hz=s.min_lowpass_hz, max_lowpass_hz=s.max_lowpass_hz)  # fmt: skip
        self.narrowband = Narrowband(p=s.p_narrowband, min_rate_hz=s.min_narrowband_rate_hz, max_rate_hz=s.max_narrowband_rate_hz,
                                     p_mu_law=s.p_mu_law)  # fmt: skip
        self.cold_start = ColdStart(p=s.p_cold_start)
        self.weak_ending = WeakEnding(p=s.p_weak_ending, min_fraction=s.min_weak_ending_fraction,
                                      max_fraction=s.max_weak_ending_fraction, min_depth_db=s.min_weak_ending_db,
                                      max_depth_db=s.max_weak_ending_db)  # fmt: skip
        #: The pipeline as a list, in the order it runs (placement or cropped known, never both).
        self.transforms = [self.speed, self.pitch, self.gain, self.placement, self.weak_ending, self.reverb, self.noise,
                           self.mic_eq, self.band_limit, self.narrowband, self.floor, self.cold_start]  # fmt: skip

    def __repr__(self) -> str:
        return (f"WaveformAugmenter(sample_rate_hz={self.sample_rate_hz}, noise_clips={len(self.noise_clips)}, "
                f"rirs={len(self.rirs)}, transforms={self.transforms!r})")  # fmt: skip

    def __call__(self, audio: np.ndarray, *, length: int, window_length: int, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
        """A training sample: the word at a random place in the window, over noise and the floor.

        Returns
        -------
        audio : np.ndarray [shape=(length,), float32] in [-1, 1)
        params : list of dict, the applied transforms' params (``name`` first), trim included
        """
        check_lengths(length, window_length)
        word, log = self._word(audio, rng)
        return self._placed(word, length, window_length, rng, log)

    def cropped_known(self, audio: np.ndarray, *, length: int, window_length: int, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
        """An ``_unknown_`` sample: the first 20-50 % of the word, ending at the end of the window."""
        check_lengths(length, window_length)
        word, log = self._word(audio, rng)
        params = self.cropped.sample(rng, num_samples=word.size, length=length, window_length=window_length)
        log.append(params_to_dict(self.cropped.name, params))
        return self._finish(self.cropped.crop(word, params), params.offset, length, window_length, rng, log)

    def truncated_known(self, audio: np.ndarray, *, length: int, window_length: int, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
        """An ``_unknown_`` sample: the first ``min..max_truncated_fraction`` of the word, placed as a whole word is.

        The ending (the /f/ of "off", the nasal of "on") is what tells a keyword from a word with the
        same vowel ("of", "up" with a swallowed /p/); without such samples a model may learn the vowel alone.
        """
        check_lengths(length, window_length)
        word, log = self._word(audio, rng)
        cut = self.truncated.sample(rng, num_samples=word.size, length=length, window_length=window_length)
        log.append({**params_to_dict("truncated_known", cut), "offset": None})  # placed below, not at the window end
        return self._placed(self.truncated.crop(word, cut), length, window_length, rng, log)

    def silence(self, length: int, *, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
        """A ``_silence_`` sample from this augmenter's noise clips (see ``make_silence``)."""
        check_lengths(length, length)
        return silence_from(length, rng=rng, sample_rate_hz=self.sample_rate_hz, settings=self.settings,
                            noise_clips=self.noise_clips, floor_clip=self.floor_clip)  # fmt: skip

    def _word(self, audio: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
        """Trim, speed, pitch and gain: the dry word, and the log so far."""
        sr = self.sample_rate_hz
        audio = to_float32(check_audio(audio, name="audio"))
        bounds = trim.trim_bounds(audio, sample_rate_hz=sr, below_peak_db=self.settings.trim_below_peak_db)
        if not bounds.applied:
            warnings.warn("audio is all zeros: the sample holds no speech (and no noise, whose level follows it)", stacklevel=3)
        word = trim.apply(audio, bounds, sample_rate_hz=sr)
        log = [params_to_dict("trim", bounds)]
        for transform in (self.speed, self.pitch, self.gain):
            params = transform.sample(rng)
            if params.applied:
                word = transform.apply(word, params, sample_rate_hz=sr)
                log.append(params_to_dict(transform.name, params))
        return word, log

    def _placed(self, word: np.ndarray, length: int, window_length: int, rng: np.random.Generator,
                log: list[dict]) -> tuple[np.ndarray, list[dict]]:
        """Place the dry word at a random offset inside the window, then finish the sample."""
        params = self.placement.sample(rng, num_samples=word.size, length=length, window_length=window_length)
        log.append(params_to_dict(self.placement.name, params))
        return self._finish(self.placement.cut(word, params), params.offset, length, window_length, rng, log)

    def _finish(self, word: np.ndarray, offset: int, length: int, window_length: int, rng: np.random.Generator,
                log: list[dict]) -> tuple[np.ndarray, list[dict]]:
        """Weaken the word's ending, reverb it, place it at ``offset``, add noise, colour the channel, add the floor, clip.

        The channel transforms draw after the others, and the weak ending after them, so enabling
        them leaves the older draws unchanged.
        """
        sr = self.sample_rate_hz
        span = (offset, min(length, offset + word.size))
        reverb = self.reverb.sample(rng, num_rirs=len(self.rirs))
        noise = self.noise.sample(rng, clip_lengths=[c.size for c in self.noise_clips], length=length)
        floor = self.floor.sample(rng, clip_length=self.floor_clip.size, length=length)
        channel = [(t, t.sample(rng)) for t in (self.mic_eq, self.band_limit, self.narrowband)]
        cold = self.cold_start.sample(rng)
        weak = self.weak_ending.sample(rng)
        if weak.applied:
            word = self.weak_ending.apply(word, weak, sample_rate_hz=sr)
            log.append(params_to_dict(self.weak_ending.name, weak))
        if reverb.applied:
            word = self.reverb.apply(word, reverb, sample_rate_hz=sr, rirs=self.rirs)
            log.append(params_to_dict(self.reverb.name, reverb))
        buffer = place(word, offset, length)
        if noise.applied:
            buffer = self.noise.apply(buffer, noise, sample_rate_hz=sr, noise_clip=self.noise_clips[noise.clip_index], speech_span=span)
            log.append(params_to_dict(self.noise.name, noise))
        for transform, params in channel:
            if params.applied:
                buffer = transform.apply(buffer, params, sample_rate_hz=sr)
                log.append(params_to_dict(transform.name, params))
        if floor.applied:
            buffer = self.floor.apply(buffer, floor, sample_rate_hz=sr, floor_clip=self.floor_clip)
            log.append(params_to_dict(self.floor.name, floor))
        if cold.applied:
            buffer = self.cold_start.apply(buffer, cold, window_length=window_length)
            log.append(params_to_dict(self.cold_start.name, cold))
        return np.clip(buffer, -1.0, MAX_SAMPLE, out=buffer), log
