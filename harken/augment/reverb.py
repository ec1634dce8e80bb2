"""Reverb: convolve the placed speech with a room impulse response (RIR) from a bank.

In: the float32 buffer with the speech at ``context.speech_span`` and nothing mixed in yet (the
``SPEECH`` stage), the bank in ``context.rirs``. Out: the buffer with the speech replaced by its wet
version, ``n + len(rir) - 1`` samples from the span start (the tail included, cut at the buffer's
end), scaled back to the dry speech's peak so the drawn gain keeps its meaning. ``RirSet`` holds the
bank: each RIR cut where the energy still to come falls below -``tail_db`` dB (60: an RT60 cut), and
its spectrum cached per FFT length (lengths rounded up to a multiple of 4096, so a handful of them),
which makes a convolution two FFTs instead of three (~0.17 ms for a 0.8 s word and a 0.3 s RIR at
16 kHz). Only the speech is convolved: background noise and the mic floor are added dry, after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from harken._util.settings import check_number, check_probability
from harken.augment.base import SPEECH, AugmentContext, Transform, integer, peak
from harken.errors import SettingsError


@dataclass(frozen=True, slots=True)
class ReverbParams:
    applied: bool
    rir_index: int


@dataclass(slots=True, kw_only=True)
class Reverb(Transform):
    """Pick one of the context's impulse responses uniformly, with probability ``p``.

    Examples
    --------
    >>> t = Reverb(p=1.0)
    >>> ctx = t.prepare(AugmentContext(sample_rate_hz=16000, rirs=[np.array([1.0, 0.5], np.float32)]))
    >>> x = np.zeros(20, np.float32); x[5:15] = 1.0
    >>> y = t.apply(x, t.sample(np.random.default_rng(0), x, ctx), dataclasses.replace(ctx, speech_span=(5, 15)))
    >>> round(float(y.max()), 6), round(float(y[15]), 6)
    (1.0, 0.333333)
    """

    name: ClassVar[str] = "reverb"
    stage: ClassVar[str] = SPEECH
    p: float = 0.5
    tail_db: float = 60.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_number(self, "tail_db", lo=10.0, hi=120.0, unit=" dB")

    def prepare(self, context: AugmentContext) -> AugmentContext:
        """The context with its impulse responses as a ``RirSet`` (tails cut at ``tail_db``)."""
        if isinstance(context.rirs, RirSet):
            return context
        return dataclasses.replace(context, rirs=RirSet(context.rirs, tail_db=self.tail_db))

    def sample(self, rng: np.random.Generator, audio: np.ndarray, context: AugmentContext) -> ReverbParams:
        u = rng.random(2)
        num_rirs = len(context.rirs)
        if num_rirs < 1:
            return ReverbParams(applied=False, rir_index=-1)
        return ReverbParams(applied=bool(u[0] < self.p), rir_index=integer(u[1], 0, num_rirs - 1))

    def apply(self, audio: np.ndarray, params: ReverbParams, context: AugmentContext) -> np.ndarray:
        if not params.applied or audio.size == 0:
            return audio
        start, stop = context.speech_span or (0, audio.size)
        wet = reverberate(audio[start:stop], self.prepare(context).rirs, params.rir_index)
        out = audio.copy()
        out[start:stop] = 0.0
        kept = min(wet.size, out.size - start)
        out[start : start + kept] += wet[:kept]
        return out


def reverberate(dry: np.ndarray, rirs: RirSet, index: int) -> np.ndarray:
    """``dry`` convolved with RIR ``index`` (``n + m - 1`` samples), scaled to the dry peak."""
    if dry.size == 0:
        return dry
    wet = rirs.convolve(dry, index)
    dry_peak, wet_peak = peak(dry), peak(wet)
    if wet_peak > 0.0:
        wet *= np.float32(dry_peak / wet_peak)
    return wet


def truncate_rir(rir: np.ndarray, *, tail_db: float = 60.0) -> np.ndarray:
    """``rir`` up to where the energy still to come is ``tail_db`` dB below the total (float32)."""
    rir = np.asarray(rir, dtype=np.float32)
    if rir.ndim != 1 or rir.size == 0 or not np.all(np.isfinite(rir)):
        raise SettingsError(f"an impulse response must be a non-empty finite 1-D array, got shape {np.shape(rir)}")
    energy = np.square(rir, dtype=np.float64)
    remaining = np.cumsum(energy[::-1])[::-1]  # Schroeder backward integral
    total = remaining[0]
    if total <= 0.0:
        raise SettingsError("an impulse response is all zeros; drop it from the bank")
    keep = int(np.count_nonzero(remaining >= total * 10.0 ** (-tail_db / 10.0)))
    return np.ascontiguousarray(rir[: max(keep, 1)])


def prepare_rirs(rirs: Sequence[np.ndarray], *, tail_db: float = 60.0) -> list[np.ndarray]:
    """Every RIR of a bank, truncated by ``truncate_rir``."""
    return [truncate_rir(r, tail_db=tail_db) for r in rirs]


class RirSet:
    """Impulse responses ready for convolution: tails cut, spectra cached per FFT length.

    The cache grows by one spectrum per (RIR, FFT length) used: with 64 RIRs and words up to
    1 s, about 5 MB per FFT length, a few lengths in all.
    """

    BLOCK = 4096

    def __init__(self, rirs: Sequence[np.ndarray], *, tail_db: float = 60.0) -> None:
        self.rirs = prepare_rirs(rirs, tail_db=tail_db)
        self._spectra: dict[tuple[int, int], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.rirs)

    def convolve(self, audio: np.ndarray, index: int) -> np.ndarray:
        """Full linear convolution of ``audio`` with RIR ``index`` (float32, n + m - 1 samples)."""
        import scipy.fft

        rir = self.rirs[index]
        n = audio.size + rir.size - 1
        nfft = scipy.fft.next_fast_len(-(-n // self.BLOCK) * self.BLOCK, real=True)
        spectrum = self._spectra.get((index, nfft))
        if spectrum is None:
            spectrum = self._spectra[(index, nfft)] = scipy.fft.rfft(rir, nfft)
        return scipy.fft.irfft(scipy.fft.rfft(audio, nfft) * spectrum, nfft)[:n].astype(np.float32, copy=False)
