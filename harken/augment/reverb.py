"""Reverb: convolve a word with a room impulse response (RIR) from a bank.

In: float32 dry word, one float32 RIR (direct path near sample 0, e.g. a ``RirBank`` item).
Out: the wet word, ``n + len(rir) - 1`` samples (the tail included), scaled back to the dry
word's peak so the drawn gain keeps its meaning. ``RirSet`` holds the bank: each RIR cut where
the energy still to come falls below -``tail_db`` dB (60: an RT60 cut), and its spectrum cached
per FFT length (lengths rounded up to a multiple of 4096, so a handful of them), which makes a
convolution two FFTs instead of three (~0.17 ms for a 0.8 s word and a 0.3 s RIR at 16 kHz).
Only the speech is convolved: background noise and the mic floor are added dry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harken.augment._checks import check_probability, integer
from harken.augment.base import peak
from harken.errors import SettingsError


@dataclass(frozen=True, slots=True)
class ReverbParams:
    applied: bool
    rir_index: int


@dataclass(slots=True, kw_only=True)
class Reverb:
    """Pick one of ``num_rirs`` impulse responses uniformly, with probability ``p``.

    Examples
    --------
    >>> t, bank = Reverb(p=1.0), RirSet([np.array([1.0, 0.5], np.float32)])
    >>> y = t.apply(np.ones(10, np.float32), t.sample(np.random.default_rng(0), num_rirs=len(bank)),
    ...             sample_rate_hz=16000, rirs=bank)
    >>> y.size, round(float(y.max()), 6)
    (11, 1.0)
    """

    name = "reverb"
    p: float = 0.5

    def __post_init__(self) -> None:
        check_probability("Reverb", "p", self.p)

    def sample(self, rng: np.random.Generator, *, num_rirs: int) -> ReverbParams:
        u = rng.random(2)
        if num_rirs < 1:
            return ReverbParams(applied=False, rir_index=-1)
        return ReverbParams(applied=bool(u[0] < self.p), rir_index=integer(u[1], 0, num_rirs - 1))

    @staticmethod
    def apply(audio: np.ndarray, params: ReverbParams, *, sample_rate_hz: int, rirs: RirSet) -> np.ndarray:
        if not params.applied or audio.size == 0:
            return audio
        wet = rirs.convolve(audio, params.rir_index)
        dry_peak, wet_peak = peak(audio), peak(wet)
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
