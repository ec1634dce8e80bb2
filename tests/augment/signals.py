"""Test signals and measures shared by the augmentation tests (not a test module)."""

from __future__ import annotations

import numpy as np

from harken.augment import AugmentContext

SR = 16000
LENGTH, WINDOW = 32000, 16000
#: A context for transforms used on their own (no buffer lengths, no speech span).
CTX = AugmentContext(sample_rate_hz=SR)


def sine(freq_hz: float, n: int, amplitude: float = 0.5) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * freq_hz * np.arange(n) / SR)).astype(np.float32)


def word_clip(seed: int = 0) -> np.ndarray:
    """0.1 s quiet, a 0.6 s 'word' (harmonics under an envelope), 0.1 s quiet."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(0.6 * SR)) / SR
    voiced = sum(np.sin(2 * np.pi * k * rng.uniform(110, 180) * t) / k for k in range(1, 12))
    word = 0.4 * voiced / np.max(np.abs(voiced)) * np.sin(np.pi * t / 0.6)
    pad = np.zeros(int(0.1 * SR))
    return np.concatenate([pad, word, pad]).astype(np.float32)


def rirs(n: int = 4) -> list[np.ndarray]:
    """``n`` decaying-noise impulse responses with a strong direct path."""
    rng = np.random.default_rng(5)
    out = []
    for _ in range(n):
        r = rng.standard_normal(3000) * np.exp(-np.arange(3000) / 400.0)
        r[0] = 4.0
        out.append((r / np.sqrt(np.sum(r**2))).astype(np.float32))
    return out


def dominant_hz(x: np.ndarray) -> float:
    """Frequency of the spectral peak, parabolically interpolated for sub-bin accuracy."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * SR / x.size


def db(power_ratio: float) -> float:
    return 10.0 * np.log10(power_ratio)


def rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2)))


def draw(transform, audio: np.ndarray, *, seed: int = 0, context=CTX) -> np.ndarray:
    """``transform`` drawn with ``default_rng(seed)`` and applied to ``audio``."""
    return transform.apply(audio, transform.sample(np.random.default_rng(seed), audio, context), context)
