"""Synthetic noise: coloured noises, mains hum and a microphone noise floor, plus a cached bank.

In: a length in samples, a sample rate, a level and an ``rng`` (``numpy.random.Generator``).
Out: float32 mono noise in [-1, 1) at the requested RMS level (dBFS, full scale = 1.0).

Every generator is a pure function of its arguments and ``rng``: the same seed gives the same
samples. ``noise_bank`` renders one long clip per kind once and caches it as an ``.npz`` under
``$HARKEN_HOME/noise/``, keyed by its settings. Mixing noise into speech at an SNR is the
augmentation stage's job, not this module's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from harken._util.atomic import atomic_path
from harken.errors import SettingsError

log = logging.getLogger(__name__)

#: Spectral exponent beta of each colour: power ~ 1 / f**beta.
COLOR_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0, "blue": -1.0, "violet": -2.0}
NOISE_KINDS = tuple(COLOR_EXPONENTS) + ("hum50", "hum60", "mic")


def _check_length(num_samples: int) -> None:
    if int(num_samples) <= 0:
        raise SettingsError(f"num_samples={num_samples}: a noise clip needs at least one sample")


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level of float audio in dBFS (full scale = 1.0); -inf for silence."""
    rms = float(np.sqrt(np.mean(np.square(np.asarray(x, dtype=np.float64)))))
    return 20.0 * np.log10(rms) if rms > 0 else float("-inf")


def set_rms_dbfs(x: np.ndarray, rms_db: float) -> np.ndarray:
    """Scale ``x`` to an RMS of ``rms_db`` dBFS (float32); silence stays silence.

    Examples
    --------
    >>> round(float(rms_dbfs(set_rms_dbfs(np.ones(100), -20.0))), 3)
    -20.0
    """
    x = np.asarray(x, dtype=np.float64)
    rms = np.sqrt(np.mean(np.square(x)))
    if rms == 0:
        return x.astype(np.float32)
    return (x * (10.0 ** (rms_db / 20.0) / rms)).astype(np.float32)


def colored_noise(num_samples: int, *, exponent: float = 1.0, rms_db: float = -30.0, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise whose power falls as 1 / f**exponent (0 white, 1 pink, 2 brown, -1 blue).

    Shaped in the frequency domain (the DC bin is zeroed), then scaled to ``rms_db`` dBFS.

    Parameters
    ----------
    num_samples : int > 0
    exponent : float in [-4, 4]
        Spectral slope: the power spectrum goes as f**-exponent (-10*exponent dB per decade).
    rms_db : float <= 0
        RMS level in dBFS.
    rng : numpy.random.Generator

    Examples
    --------
    >>> x = colored_noise(16000, exponent=1.0, rms_db=-20.0, rng=np.random.default_rng(0))
    >>> x.dtype.name, round(float(rms_dbfs(x)), 2)
    ('float32', -20.0)
    """
    _check_length(num_samples)
    if not -4.0 <= exponent <= 4.0:
        raise SettingsError(f"exponent={exponent} is out of range; use -4..4 (0 white, 1 pink, 2 brown)")
    spectrum = np.fft.rfft(rng.standard_normal(num_samples))
    freqs = np.fft.rfftfreq(num_samples)
    scale = np.zeros_like(freqs)
    scale[1:] = freqs[1:] ** (-exponent / 2.0)
    y = np.fft.irfft(spectrum * scale, n=num_samples)
    return set_rms_dbfs(y, rms_db)


def white_noise(num_samples: int, *, rms_db: float = -30.0, rng: np.random.Generator) -> np.ndarray:
    """Gaussian white noise at ``rms_db`` dBFS."""
    _check_length(num_samples)
    return set_rms_dbfs(rng.standard_normal(num_samples), rms_db)


def mains_hum(
    num_samples: int,
    *,
    sample_rate_hz: int = 16000,
    frequency_hz: float = 50.0,
    num_harmonics: int = 8,
    rms_db: float = -40.0,
    rng: np.random.Generator,
) -> np.ndarray:
    """Mains hum: ``frequency_hz`` (50 or 60 Hz) and its harmonics, with random phases and levels.

    Harmonic k has an amplitude drawn around 1/k (odd harmonics favoured, as in transformer
    hum); a small random frequency offset (+-0.5 %) mimics a real grid. Harmonics above
    Nyquist are dropped.
    """
    _check_length(num_samples)
    if frequency_hz <= 0 or frequency_hz >= sample_rate_hz / 2:
        raise SettingsError(f"frequency_hz={frequency_hz} must be in (0, {sample_rate_hz / 2}) Hz")
    if num_harmonics < 1:
        raise SettingsError(f"num_harmonics={num_harmonics}: use at least 1")
    f0 = frequency_hz * (1.0 + rng.uniform(-0.005, 0.005))
    t = np.arange(num_samples) / float(sample_rate_hz)
    y = np.zeros(num_samples)
    for k in range(1, num_harmonics + 1):
        if k * f0 >= sample_rate_hz / 2:
            break
        weight = (1.0 if k % 2 else 0.5) / k * rng.uniform(0.3, 1.0)
        y += weight * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    return set_rms_dbfs(y, rms_db)


def mic_noise_floor(
    num_samples: int, *, sample_rate_hz: int = 16000, rms_db: float = -70.0, rng: np.random.Generator
) -> np.ndarray:
    """A microphone's self-noise: mostly white with some pink (1/f) and a 20 Hz high-pass.

    Typical MEMS microphones sit at -90..-60 dBFS; use that range for ``rms_db``.
    """
    _check_length(num_samples)
    from scipy.signal import butter, sosfilt

    white = rng.standard_normal(num_samples)
    pink = colored_noise(num_samples, exponent=1.0, rms_db=0.0, rng=rng).astype(np.float64)
    mix = white + rng.uniform(0.3, 1.0) * pink
    sos = butter(2, 20.0, btype="highpass", fs=sample_rate_hz, output="sos")
    return set_rms_dbfs(sosfilt(sos, mix), rms_db)


def make_noise(kind: str, num_samples: int, *, sample_rate_hz: int = 16000, rms_db: float = -30.0, rng: np.random.Generator) -> np.ndarray:
    """One noise of ``kind`` (one of ``NOISE_KINDS``: colours, ``hum50``, ``hum60``, ``mic``)."""
    if kind in COLOR_EXPONENTS:
        return colored_noise(num_samples, exponent=COLOR_EXPONENTS[kind], rms_db=rms_db, rng=rng)
    if kind in ("hum50", "hum60"):
        return mains_hum(num_samples, sample_rate_hz=sample_rate_hz, frequency_hz=float(kind[3:]), rms_db=rms_db, rng=rng)
    if kind == "mic":
        return mic_noise_floor(num_samples, sample_rate_hz=sample_rate_hz, rms_db=rms_db, rng=rng)
    raise SettingsError(f"noise kind {kind!r} is unknown; use one of {', '.join(NOISE_KINDS)}")


def noise_bank(
    *,
    sample_rate_hz: int = 16000,
    duration_s: float = 10.0,
    kinds: tuple[str, ...] = NOISE_KINDS,
    rms_db: float = -20.0,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
) -> dict[str, np.ndarray]:
    """One long clip of each noise kind (float32 at ``rms_db`` dBFS), cached as an ``.npz``.

    Kind i is drawn from ``default_rng([seed, i])``. The cache file is
    ``<cache_dir or $HARKEN_HOME/noise>/noise-<hash of the settings>.npz``, written atomically.
    """
    from harken._util.paths import harken_home

    for kind in kinds:
        if kind not in NOISE_KINDS:
            raise SettingsError(f"noise kind {kind!r} is unknown; use one of {', '.join(NOISE_KINDS)}")
    num_samples = int(round(duration_s * sample_rate_hz))
    config = {"v": 1, "sample_rate_hz": sample_rate_hz, "num_samples": num_samples, "kinds": list(kinds), "rms_db": rms_db, "seed": seed}
    key = hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir is not None else harken_home() / "noise"
    path = folder / f"noise-{key}.npz"
    if path.is_file():
        with np.load(path) as data:
            return {k: data[k] for k in kinds}
    bank = {kind: make_noise(kind, num_samples, sample_rate_hz=sample_rate_hz, rms_db=rms_db, rng=np.random.default_rng([seed, i]))
            for i, kind in enumerate(kinds)}  # fmt: skip
    _save_npz_atomic(path, bank)
    log.info("noise bank of %d kinds cached in %s", len(kinds), path)
    return bank


def _save_npz_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
