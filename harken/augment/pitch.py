"""Pitch shift: scale every frequency by ``2**(semitones/12)`` and keep the duration.

In: float32 audio. Out: float32 audio of the same length. Method: a phase vocoder that moves each
STFT bin's magnitude and true frequency to the scaled bin (512-point Hann frames, hop 128, phases
re-accumulated frame by frame; the per-bin bookkeeping is numba-compiled): ~0.3 ms for a 0.6 s word at 16 kHz.
Because the whole spectrum is scaled, formants move with the pitch: +-2 semitones (factor
0.89-1.12) is also the vocal-tract-length warp that the recipe's measurements found useful (0.88-1.12; docs/experiments.md).
Transients are smeared a little, as with any phase vocoder; fine for augmentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from harken._util.settings import check_probability, check_range
from harken.augment.base import WORD, AugmentContext, Transform, uniform

FFT_LENGTH = 512
HOP = FFT_LENGTH // 4
_WINDOW = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(FFT_LENGTH) / FFT_LENGTH)).astype(np.float32)
_OLA_GAIN = float(np.sum(_WINDOW.astype(np.float64) ** 2) / HOP)  # 1.5 for a periodic Hann at hop N/4


@dataclass(frozen=True, slots=True)
class PitchShiftParams:
    applied: bool
    semitones: float


@dataclass(slots=True, kw_only=True)
class PitchShift(Transform):
    """Shift drawn uniformly in [min_semitones, max_semitones], with probability ``p``.

    Examples
    --------
    >>> t, ctx = PitchShift(p=1.0, min_semitones=2.0, max_semitones=2.0), AugmentContext(sample_rate_hz=16000)
    >>> x = np.sin(np.arange(8000) * 2 * np.pi * 440 / 16000).astype(np.float32)
    >>> t.apply(x, t.sample(np.random.default_rng(0), x, ctx), ctx).shape == x.shape
    True
    """

    name: ClassVar[str] = "pitch_shift"
    stage: ClassVar[str] = WORD
    p: float = 0.5
    min_semitones: float = -2.0
    max_semitones: float = 2.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "semitones", lo=-12.0, hi=12.0)

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> PitchShiftParams:
        u = rng.random(2)
        return PitchShiftParams(applied=bool(u[0] < self.p), semitones=uniform(u[1], self.min_semitones, self.max_semitones))

    def apply(self, audio: np.ndarray, params: PitchShiftParams, context: AugmentContext) -> np.ndarray:
        if not params.applied or params.semitones == 0.0 or audio.size == 0:
            return audio
        return shift_frequencies(audio, 2.0 ** (params.semitones / 12.0))


def shift_frequencies(audio: np.ndarray, ratio: float) -> np.ndarray:
    """Multiply every frequency of ``audio`` by ``ratio`` (phase vocoder), same length, float32.

    The trigonometry runs in numpy's SIMD float32 loops (faster than scalar calls in numba);
    the per-bin bookkeeping (true frequencies, moving bins, summing phases) is compiled.
    """
    import scipy.fft

    n = int(audio.size)
    pad = FFT_LENGTH
    num_frames = -(-(n + pad) // HOP) + 1  # frames covering [0, n + 2 * pad) at hop HOP
    xp = np.zeros((num_frames + 3) * HOP, np.float32)
    xp[pad : pad + n] = audio
    frames = np.lib.stride_tricks.sliding_window_view(xp, FFT_LENGTH)[::HOP][:num_frames] * _WINDOW
    spectrum = scipy.fft.rfft(frames, axis=1)
    num_bins = spectrum.shape[1]
    source = np.arange(num_bins) / ratio
    low = np.minimum(np.floor(source).astype(np.int64), num_bins - 1)
    frac = np.where(source <= num_bins - 1, source - low, -1.0)  # -1: no source bin (above Nyquist / ratio)
    nearest = np.minimum(np.rint(source).astype(np.int64), num_bins - 1)
    magnitude, phase = _move_bins(np.abs(spectrum), np.arctan2(spectrum.imag, spectrum.real), low, frac, nearest,
                                  float(ratio), HOP, FFT_LENGTH)  # fmt: skip
    moved = np.empty(magnitude.shape, np.complex64)
    moved.real = magnitude * np.cos(phase)
    moved.imag = magnitude * np.sin(phase)
    out_frames = scipy.fft.irfft(moved, n=FFT_LENGTH, axis=1) * _WINDOW
    blocks = out_frames.reshape(num_frames, FFT_LENGTH // HOP, HOP)
    out = np.zeros((num_frames + 3, HOP), np.float32)
    for j in range(FFT_LENGTH // HOP):
        out[j : j + num_frames] += blocks[:, j]
    return (out.reshape(-1)[pad : pad + n] / np.float32(_OLA_GAIN)).astype(np.float32, copy=False)


@njit(cache=True, fastmath=True)
def _move_bins(magnitude, phase, low, frac, nearest, ratio, hop, fft_length):  # pragma: no cover - compiled
    """Phase-vocoder core: output bin j takes the magnitude at bin j / ratio (``low`` + ``frac``,
    linear interpolation; ``frac`` < 0: silent) and the true frequency of bin ``nearest[j]`` times
    ``ratio``; its phase is the running sum of those frequencies, frame after frame (float64, wrapped
    into [-pi, pi) only on output). Returns (magnitude, phase), float32 [frames, bins]."""
    num_frames, num_bins = magnitude.shape
    two_pi = 2.0 * np.pi
    step = two_pi * hop / fft_length
    true_bin = np.empty(num_bins)
    previous = np.zeros(num_bins)
    running = np.zeros(num_bins)
    out_magnitude = np.zeros((num_frames, num_bins), np.float32)
    out_phase = np.zeros((num_frames, num_bins), np.float32)
    for f in range(num_frames):
        for k in range(num_bins):
            delta = phase[f, k] - previous[k] - k * step
            previous[k] = phase[f, k]
            delta -= two_pi * np.floor(delta / two_pi + 0.5)
            true_bin[k] = k + delta / step
        for j in range(num_bins):
            if frac[j] < 0.0:
                continue
            lo = low[j]
            hi = min(lo + 1, num_bins - 1)
            out_magnitude[f, j] = magnitude[f, lo] * (1.0 - frac[j]) + magnitude[f, hi] * frac[j]
            running[j] += true_bin[nearest[j]] * ratio * step
            out_phase[f, j] = running[j] - two_pi * np.floor(running[j] / two_pi + 0.5)
    return out_magnitude, out_phase
