"""Pure builders of the fixed-point tables the front end needs, computed exactly as the firmware does.

In: ``FrontendSettings``. Out: a ``Plan`` (a namedtuple of integer arrays and constants) that the
numba kernels in ``harken.frontend.kernels`` apply. Float arithmetic here follows the C reference
type for type (float32 where the firmware uses ``float``, float64 where it uses ``double``), because
one rounding step decides a table entry (e.g. Hann coefficient 17 of a 480-sample window is 54).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from harken.errors import SettingsError
from harken.frontend.settings import FrontendSettings, _input_correction_bits

WINDOW_BITS = 12
FILTERBANK_BITS = 12
NOISE_REDUCTION_BITS = 14
LOG_SCALE_LOG2 = 16
LOG_SEGMENTS_LOG2 = 7
LOG_COEFF = 45426  # round(ln(2) * 2^16)
PCAN_SNR_BITS = 12
PCAN_OUTPUT_BITS = 6
WIDE_DYNAMIC_FUNCTION_BITS = 32
SAMP_MAX = 32767
_PI = 3.141592653589793238462643383279502884197169399375105820974944

f32 = np.float32


class Plan(NamedTuple):
    """Everything the kernels need, as numba-friendly arrays and ints."""

    window_size: int
    window_step: int
    num_channels: int
    window: np.ndarray  # int32[W], Q12 Hann
    ncfft: int  # complex FFT length = fft_length / 2
    fft_factors: np.ndarray  # int64[2*stages]: radix, m pairs, outermost first
    fft_perm: np.ndarray  # int64[ncfft]: input index of each leaf output
    twiddles: np.ndarray  # int32[ncfft, 2]
    stage_twiddles: np.ndarray  # int64[...]: per stage, per k, the (re, im) twiddles it uses, in order
    stage_twiddle_offsets: np.ndarray  # int64[stages]: where each stage starts in stage_twiddles
    super_twiddles: np.ndarray  # int32[ncfft // 2, 2]
    fb_start: np.ndarray  # int64[C]: first FFT bin of each output channel
    fb_length: np.ndarray  # int64[C]: number of bins
    fb_offset: np.ndarray  # int64[C]: offset into fb_coeffs
    fb_coeffs: np.ndarray  # uint64[...]: weight per bin (unweights of chan c, weights of chan c+1)
    energy_start: int
    energy_end: int
    dc_notch_enable: bool
    dc_notch_coef: int  # Q15
    nr_enable: bool
    nr_smoothing_bits: int
    nr_even: int
    nr_odd: int
    nr_min_signal_remaining: int
    pcan_enable: bool
    pcan_snr_shift: int
    pcan_lut: np.ndarray  # int32[125]
    log_enable: bool
    log_shift: int
    log_correction_bits: int
    log_lut: np.ndarray  # int32[130]


def build_plan(settings: FrontendSettings) -> Plan:
    """Build every table of ``settings`` (validated first)."""
    settings.validate()
    fft_length = settings.fft_length
    ncfft = fft_length // 2
    factors, perm = fft_factors_and_permutation(ncfft)
    twiddles = fft_twiddles(ncfft)
    stage_tw, stage_offsets = stage_twiddle_table(factors, twiddles)
    fb = filterbank_tables(settings)
    correction = _input_correction_bits(fft_length)
    return Plan(
        window_size=settings.window_size,
        window_step=settings.window_step,
        num_channels=settings.filterbank_n_channels,
        window=hann_window_q12(settings.window_size),
        ncfft=ncfft,
        fft_factors=factors,
        fft_perm=perm,
        twiddles=twiddles,
        stage_twiddles=stage_tw,
        stage_twiddle_offsets=stage_offsets,
        super_twiddles=fftr_super_twiddles(ncfft),
        fb_start=fb["start"],
        fb_length=fb["length"],
        fb_offset=fb["offset"],
        fb_coeffs=fb["coeffs"],
        energy_start=fb["energy_start"],
        energy_end=fb["energy_end"],
        dc_notch_enable=bool(settings.dc_notch_filter_enable),
        dc_notch_coef=dc_notch_coefficient_q15(settings.dc_notch_filter_coefficient),
        nr_enable=bool(settings.noise_reduction_enable),
        nr_smoothing_bits=settings.noise_reduction_smoothing_bits,
        nr_even=_q14(settings.noise_reduction_even_smoothing),
        nr_odd=_q14(settings.noise_reduction_odd_smoothing),
        nr_min_signal_remaining=_q14(settings.noise_reduction_min_signal_remaining),
        pcan_enable=bool(settings.pcan_enable),
        pcan_snr_shift=settings.pcan_gain_bits - correction - PCAN_SNR_BITS,
        pcan_lut=pcan_gain_lut(settings) if settings.pcan_enable else np.zeros(125, np.int32),
        log_enable=bool(settings.log_scale_enable),
        log_shift=settings.log_scale_shift,
        log_correction_bits=correction,
        log_lut=log_lut(),
    )


def hann_window_q12(size: int) -> np.ndarray:
    """Hann window in Q12, evaluated in float32 throughout as the reference does.

    0.5 - 0.5*cos(2*pi*(i+0.5)/size), scaled by 2^12 and rounded half up. For 480 samples this
    gives 54 at index 17 where a float64 evaluation (TensorFlow's op) gives 53.
    """
    arg = f32(_PI * 2.0 / size)
    x = (arg * (np.arange(size, dtype=np.float32) + f32(0.5))).astype(np.float32)
    value = (f32(0.5) - f32(0.5) * np.cos(x)).astype(np.float32)
    return np.floor(value * f32(1 << WINDOW_BITS) + f32(0.5)).astype(np.int32)


def dc_notch_coefficient_q15(coefficient: float) -> int:
    """The DC notch pole in Q15: int16(trunc(coef * 2^15)) (0.95 -> 31129)."""
    return int(math.trunc(float(f32(coefficient)) * (1 << 15)))


def _q14(value: float) -> int:
    """float32 setting * 2^14, truncated (the firmware's uint32 conversion)."""
    return int(f32(value) * f32(1 << NOISE_REDUCTION_BITS))


def fft_factors_and_permutation(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Radix plan (powers of 4 first, then 2, then odd primes) and the leaf input order of the
    recursive decimation-in-time complex FFT of length ``n``."""
    factors: list[tuple[int, int]] = []
    remaining, p = n, 4
    floor_sqrt = math.floor(math.sqrt(n))
    while True:
        while remaining % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > floor_sqrt:
                p = remaining
        remaining //= p
        factors.append((p, remaining))
        if remaining <= 1:
            break
    if any(p not in (2, 4) for p, _ in factors):
        raise SettingsError(f"FFT length {2 * n} is not a power of two")
    perm = np.zeros(n, dtype=np.int64)

    def leaves(out: int, start: int, stride: int, level: int) -> None:
        radix, m = factors[level]
        if m == 1:
            for j in range(radix):
                perm[out + j] = start + j * stride
            return
        for j in range(radix):
            leaves(out + j * m, start + j * stride, stride * radix, level + 1)

    leaves(0, 0, 1, 0)
    flat = np.array([v for pair in factors for v in pair], dtype=np.int64)
    return flat, perm


def stage_twiddle_table(factors: np.ndarray, twiddles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The twiddles each butterfly stage reads, laid out in the order it reads them.

    Stage s (radix p, m = length/p of its sub-transforms, fstride = product of earlier radices)
    uses twiddle j*k*fstride for j = 1..p-1 at step k; storing them contiguously avoids strided
    2-D indexing in the inner loop.
    """
    n = twiddles.shape[0]
    chunks, offsets, pos = [], [], 0
    for s in range(len(factors) // 2):
        p, m = int(factors[2 * s]), int(factors[2 * s + 1])
        fstride = n // (p * m)
        idx = np.array([[j * k * fstride for j in range(1, p)] for k in range(m)], dtype=np.int64).ravel()
        chunk = twiddles[idx].astype(np.int64).ravel()
        chunks.append(chunk)
        offsets.append(pos)
        pos += len(chunk)
    return np.concatenate(chunks), np.array(offsets, dtype=np.int64)


def _cexp_q15(phase: np.ndarray) -> np.ndarray:
    return np.stack(
        [np.floor(0.5 + SAMP_MAX * np.cos(phase)), np.floor(0.5 + SAMP_MAX * np.sin(phase))], axis=1
    ).astype(np.int32)


def fft_twiddles(n: int) -> np.ndarray:
    """Forward twiddles exp(-2*pi*i*k/n) in Q15, rounded half up."""
    k = np.arange(n, dtype=np.float64)
    return _cexp_q15(-2 * _PI * k / n)


def fftr_super_twiddles(ncfft: int) -> np.ndarray:
    """The real-FFT split twiddles exp(-i*pi*((k+1)/ncfft + 1/2)) in Q15."""
    k = np.arange(ncfft // 2, dtype=np.float64)
    return _cexp_q15(-_PI * ((k + 1) / ncfft + 0.5))


def _freq_to_mel(freq: np.ndarray | float) -> np.ndarray:
    """1127 * log1p(f / 700) in double, stored as float32 (the firmware's FreqToMel)."""
    return f32(1127.0 * np.log1p(np.float64(freq) / 700.0))


def filterbank_tables(settings: FrontendSettings) -> dict:
    """Mel filterbank in the firmware's fixed point, flattened per output channel.

    Output channel c sums the unweights of band c and the weights of band c + 1 (bands are
    ``num_channels + 1`` triangles); all weights are Q12 integers.
    """
    num_channels = settings.filterbank_n_channels
    spectrum_size = settings.fft_length // 2 + 1
    lower = f32(settings.filterbank_lower_band_limit)
    upper = f32(settings.filterbank_upper_band_limit)
    bands = num_channels + 1
    mel_low = _freq_to_mel(lower)
    mel_hi = _freq_to_mel(upper)
    mel_spacing = f32(f32(mel_hi - mel_low) / f32(bands))
    centers = np.array([f32(mel_low + f32(mel_spacing * f32(i + 1))) for i in range(bands)], dtype=np.float32)
    hz_per_sbin = f32(0.5 * settings.sample_rate_hz / np.float64(f32(f32(spectrum_size) - f32(1))))
    start_index = int(1.5 + np.float64(f32(lower / hz_per_sbin)))
    band_start = np.zeros(bands, dtype=np.int64)
    band_width = np.zeros(bands, dtype=np.int64)
    freq = start_index
    for b in range(bands):
        first = freq
        while _freq_to_mel(f32(f32(freq) * hz_per_sbin)) <= centers[b]:
            freq += 1
        band_start[b], band_width[b] = first, freq - first
    end_index = int(max(band_start[-1] + band_width[-1], 0)) if band_width.any() else start_index
    if end_index >= spectrum_size:
        raise SettingsError(
            f"fe.filterbank_upper_band_limit={settings.filterbank_upper_band_limit} puts the filterbank "
            f"past the spectrum (bin {end_index} of {spectrum_size}); lower it"
        )
    weights, unweights = [], []
    for b in range(bands):
        denom = mel_low if b == 0 else centers[b - 1]
        bins = np.arange(band_start[b], band_start[b] + band_width[b])
        mels = _freq_to_mel(f32(bins.astype(np.float32) * hz_per_sbin))
        w = f32((centers[b] - mels) / f32(centers[b] - denom)) if len(bins) else np.zeros(0, np.float32)
        weights.append(np.floor(w * f32(1 << FILTERBANK_BITS) + 0.5).astype(np.int64))
        unweights.append(np.floor((1.0 - w.astype(np.float64)) * (1 << FILTERBANK_BITS) + 0.5).astype(np.int64))
    start = np.zeros(num_channels, dtype=np.int64)
    length = np.zeros(num_channels, dtype=np.int64)
    offset = np.zeros(num_channels, dtype=np.int64)
    coeffs: list[np.ndarray] = []
    pos = 0
    for c in range(num_channels):
        both = np.concatenate([unweights[c], weights[c + 1]])
        start[c] = band_start[c]
        length[c] = len(both)
        offset[c] = pos
        coeffs.append(both)
        pos += len(both)
    flat = np.concatenate(coeffs) if coeffs else np.zeros(0, np.int64)
    return {
        "start": start,
        "length": length,
        "offset": offset,
        "coeffs": flat.astype(np.uint64),
        "energy_start": start_index,
        "energy_end": end_index,
        "band_start": band_start,
        "band_width": band_width,
    }


def _pcan_gain(settings: FrontendSettings, input_bits: int, x: int) -> int:
    """One entry of the PCAN gain curve: 2^gain_bits * (x / 2^input_bits + offset)^-strength."""
    x_as_float = f32(f32(x) / f32(2.0**input_bits))
    gain = f32(f32(1 << settings.pcan_gain_bits)
               * f32(np.power(f32(x_as_float + f32(settings.pcan_offset)), f32(-f32(settings.pcan_strength)))))
    if gain > 0x7FFF:
        return 0x7FFF
    return int(np.int16(f32(gain + f32(0.5))))


def pcan_gain_lut(settings: FrontendSettings) -> np.ndarray:
    """The piecewise-quadratic PCAN gain table (125 int16 entries, as int32)."""
    correction = _input_correction_bits(settings.fft_length)
    input_bits = settings.noise_reduction_smoothing_bits - correction
    lut = np.zeros(4 * WIDE_DYNAMIC_FUNCTION_BITS - 3, dtype=np.int32)
    lut[0] = _pcan_gain(settings, input_bits, 0)
    lut[1] = _pcan_gain(settings, input_bits, 1)
    for interval in range(2, WIDE_DYNAMIC_FUNCTION_BITS + 1):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == WIDE_DYNAMIC_FUNCTION_BITS else 2 * x0
        y0, y1, y2 = (_pcan_gain(settings, input_bits, x) for x in (x0, x1, x2))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        a2 = (y2 - y0) - a1
        base = 4 * interval - 6
        lut[base] = y0
        lut[base + 1] = np.int16(np.int32(a1).astype(np.int16))
        lut[base + 2] = np.int16(np.int32(a2).astype(np.int16))
    return lut


def log_lut() -> np.ndarray:
    """log2(1 + x) - x on 128 segments of [0, 1], in Q16 (130 entries, the last two 0)."""
    x = np.arange(129, dtype=np.float64) / (1 << LOG_SEGMENTS_LOG2)
    lut = np.floor((np.log2(1.0 + x) - x) * (1 << LOG_SCALE_LOG2) + 0.5).astype(np.int32)
    return np.concatenate([lut, np.zeros(1, np.int32)])
