"""The front end's integer arithmetic, compiled with numba: DC notch, window, FFT, filterbank, noise
reduction, PCAN and log, bit for bit as the microcontroller computes them.

In: int16 samples and a ``Plan`` of tables (``harken.frontend.tables``). Out: uint16 frames.
Every store that the firmware makes into an int16 / uint32 variable is wrapped the same way here, so
overflowing full-scale input gives the firmware's numbers, not mathematically better ones.
State that lasts across frames (the noise estimate, the DC notch memory) is passed in and updated.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_U32 = 0xFFFFFFFF


@njit(inline="always", cache=True)
def _w16(x):
    """Wrap an integer to int16, as a store into an int16_t does."""
    return ((x + 32768) & 0xFFFF) - 32768


@njit(inline="always", cache=True)
def _sround(x):
    """kissfft's Q15 rounding: (x + 2^14) >> 15, stored as int16."""
    return _w16((x + 16384) >> 15)


@njit(inline="always", cache=True)
def _msb(x):
    """Number of significant bits of a non-negative integer (0 for 0)."""
    if x <= 0:
        return 0
    return math.frexp(float(x))[1]


@njit(cache=True)
def dc_notch(x, out, coef_q15, state):
    """y[n] = x[n] - x[n-1] + k*y[n-1] in int16 with the firmware's rounding; state = [x[-1], y[-1]]."""
    prev_x = state[0]
    prev_y = state[1]
    for n in range(x.shape[0]):
        xn = np.int64(x[n])
        d = _w16(xn - prev_x)
        p = coef_q15 * prev_y
        y = _w16(d + (((p >> 14) + 1) >> 1))
        out[n] = y
        prev_x = xn
        prev_y = y
    state[0] = prev_x
    state[1] = prev_y


@njit(inline="always", cache=True)
def _bfly2(re, im, base, fstride, tw, m):
    for k in range(m):
        i0 = base + k
        i1 = i0 + m
        a0r = _sround(re[i0] * 16383)
        a0i = _sround(im[i0] * 16383)
        a1r = _sround(re[i1] * 16383)
        a1i = _sround(im[i1] * 16383)
        t = k * fstride
        tr = _sround(a1r * tw[t, 0] - a1i * tw[t, 1])
        ti = _sround(a1r * tw[t, 1] + a1i * tw[t, 0])
        re[i1] = _w16(a0r - tr)
        im[i1] = _w16(a0i - ti)
        re[i0] = _w16(a0r + tr)
        im[i0] = _w16(a0i + ti)


@njit(inline="always", cache=True)
def _bfly4(re, im, base, fstride, tw, m):
    for k in range(m):
        i0 = base + k
        i1 = i0 + m
        i2 = i1 + m
        i3 = i2 + m
        a0r = _sround(re[i0] * 8191)
        a0i = _sround(im[i0] * 8191)
        a1r = _sround(re[i1] * 8191)
        a1i = _sround(im[i1] * 8191)
        a2r = _sround(re[i2] * 8191)
        a2i = _sround(im[i2] * 8191)
        a3r = _sround(re[i3] * 8191)
        a3i = _sround(im[i3] * 8191)
        t1 = k * fstride
        t2 = 2 * t1
        t3 = 3 * t1
        s0r = _sround(a1r * tw[t1, 0] - a1i * tw[t1, 1])
        s0i = _sround(a1r * tw[t1, 1] + a1i * tw[t1, 0])
        s1r = _sround(a2r * tw[t2, 0] - a2i * tw[t2, 1])
        s1i = _sround(a2r * tw[t2, 1] + a2i * tw[t2, 0])
        s2r = _sround(a3r * tw[t3, 0] - a3i * tw[t3, 1])
        s2i = _sround(a3r * tw[t3, 1] + a3i * tw[t3, 0])
        s5r = _w16(a0r - s1r)
        s5i = _w16(a0i - s1i)
        a0r = _w16(a0r + s1r)
        a0i = _w16(a0i + s1i)
        s3r = _w16(s0r + s2r)
        s3i = _w16(s0i + s2i)
        s4r = _w16(s0r - s2r)
        s4i = _w16(s0i - s2i)
        re[i2] = _w16(a0r - s3r)
        im[i2] = _w16(a0i - s3i)
        re[i0] = _w16(a0r + s3r)
        im[i0] = _w16(a0i + s3i)
        re[i1] = _w16(s5r + s4i)
        im[i1] = _w16(s5i - s4r)
        re[i3] = _w16(s5r - s4i)
        im[i3] = _w16(s5i + s4r)


@njit(inline="always", cache=True)
def _real_fft(in_re, in_im, re, im, out_re, out_im, plan):
    """kissfft fixed-point real FFT of 2*ncfft samples packed as ncfft complex values."""
    n = plan.ncfft
    perm = plan.fft_perm
    for j in range(n):
        k = perm[j]
        re[j] = in_re[k]
        im[j] = in_im[k]
    factors = plan.fft_factors
    tw = plan.twiddles
    for s in range(factors.shape[0] // 2 - 1, -1, -1):
        p = factors[2 * s]
        m = factors[2 * s + 1]
        fstride = n // (p * m)
        for g in range(fstride):
            if p == 4:
                _bfly4(re, im, g * p * m, fstride, tw, m)
            else:
                _bfly2(re, im, g * p * m, fstride, tw, m)
    tdc_r = _sround(re[0] * 16383)
    tdc_i = _sround(im[0] * 16383)
    out_re[0] = _w16(tdc_r + tdc_i)
    out_re[n] = _w16(tdc_r - tdc_i)
    out_im[0] = 0
    out_im[n] = 0
    st = plan.super_twiddles
    for k in range(1, n // 2 + 1):
        fpk_r = _sround(re[k] * 16383)
        fpk_i = _sround(im[k] * 16383)
        fpnk_r = _sround(re[n - k] * 16383)
        fpnk_i = _sround(_w16(-im[n - k]) * 16383)
        f1r = _w16(fpk_r + fpnk_r)
        f1i = _w16(fpk_i + fpnk_i)
        f2r = _w16(fpk_r - fpnk_r)
        f2i = _w16(fpk_i - fpnk_i)
        twr = _sround(f2r * st[k - 1, 0] - f2i * st[k - 1, 1])
        twi = _sround(f2r * st[k - 1, 1] + f2i * st[k - 1, 0])
        out_re[k] = _w16((f1r + twr) >> 1)
        out_im[k] = _w16((f1i + twi) >> 1)
        out_re[n - k] = _w16((f1r - twr) >> 1)
        out_im[n - k] = _w16((twi - f1i) >> 1)


@njit(inline="always", cache=True)
def _sqrt_rounded(n, cap16):
    """The firmware's integer square root rounded to nearest (Sqrt64 with its 32-bit shortcut)."""
    if n == 0:
        return np.uint64(0)
    f = np.uint64(math.sqrt(float(n)))
    if f > np.uint64(_U32):
        f = np.uint64(_U32)
    while f * f > n:
        f -= np.uint64(1)
    while f < np.uint64(_U32) and (f + np.uint64(1)) * (f + np.uint64(1)) <= n:
        f += np.uint64(1)
    cap = cap16 if (n >> np.uint64(32)) == np.uint64(0) else np.uint64(_U32)
    if n - f * f > f and f != cap:
        f += np.uint64(1)
    return f


@njit(inline="always", cache=True)
def _wide_dynamic_function(x, lut):
    """PCAN's gain curve, piecewise quadratic in log2(x)."""
    if x <= 2:
        return lut[x]
    interval = _msb(x)
    base = 4 * interval - 6
    if interval < 11:
        frac = (x << (11 - interval)) & 0x3FF
    else:
        frac = (x >> (interval - 11)) & 0x3FF
    result = (np.int64(lut[base + 2]) * frac) >> 5
    result += np.int64(lut[base + 1]) * 32
    result *= frac
    result = (result + 16384) >> 15
    result += lut[base]
    return _w16(result)


@njit(inline="always", cache=True)
def _log_q(x, scale_shift, lut):
    """ln(x) * 2^scale_shift in the firmware's Q16 log2 arithmetic (x > 1)."""
    integer = _msb(x) - 1
    frac = x - (np.int64(1) << integer)
    if integer < 16:
        frac <<= 16 - integer
    else:
        frac >>= integer - 16
    base_seg = frac >> 9
    c0 = np.int64(lut[base_seg])
    c1 = np.int64(lut[base_seg + 1])
    rel_pos = ((c1 - c0) * (frac - 512 * base_seg)) >> 16
    log2 = (integer << 16) + frac + c0 + rel_pos
    loge = ((45426 * log2 + 32768) >> 16) & _U32
    return ((((loge << scale_shift) & _U32) + 32768) & _U32) >> 16


@njit(inline="always", cache=True)
def _frame(sig, pos, plan, estimate, out_row, win, in_re, in_im, re, im, out_re, out_im, energy, signal):
    """One window of samples -> one uint16 frame; updates the noise estimate."""
    size = plan.window_size
    window = plan.window
    max_abs = 0
    for i in range(size):
        v = _w16((np.int64(sig[pos + i]) * window[i]) >> 12)
        win[i] = v
        a = v if v >= 0 else _w16(-v)
        if a > max_abs:
            max_abs = a
    shift = 15 - _msb(max_abs)
    n = plan.ncfft
    for i in range(n):
        j = 2 * i
        in_re[i] = _w16(win[j] << shift) if j < size else 0
        in_im[i] = _w16(win[j + 1] << shift) if j + 1 < size else 0
    _real_fft(in_re, in_im, re, im, out_re, out_im, plan)
    for k in range(plan.energy_start, plan.energy_end):
        e = np.int64(out_re[k]) * out_re[k] + np.int64(out_im[k]) * out_im[k]
        if e > 2147483647:
            e -= 4294967296
        energy[k] = np.uint64(e)
    num_channels = plan.num_channels
    coeffs = plan.fb_coeffs
    cap16 = np.uint64(0xFFFF)
    for c in range(num_channels):
        acc = np.uint64(0)
        o = plan.fb_offset[c]
        s = plan.fb_start[c]
        for j in range(plan.fb_length[c]):
            acc += coeffs[o + j] * energy[s + j]
        signal[c] = np.int64(_sqrt_rounded(acc, cap16) & np.uint64(_U32)) >> shift
    if plan.nr_enable:
        bits = plan.nr_smoothing_bits
        for c in range(num_channels):
            smoothing = plan.nr_even if (c & 1) == 0 else plan.nr_odd
            s = signal[c]
            up = (s << bits) & _U32
            est = (up * smoothing + estimate[c] * (16384 - smoothing)) >> 14
            estimate[c] = est
            if est > up:
                est = up
            floor = (s * plan.nr_min_signal_remaining) >> 14
            sub = (up - est) >> bits
            signal[c] = sub if sub > floor else floor
    if plan.pcan_enable:
        for c in range(num_channels):
            gain = _wide_dynamic_function(estimate[c], plan.pcan_lut) & _U32
            snr = ((signal[c] * gain) >> plan.pcan_snr_shift) & _U32
            if snr < 8192:
                signal[c] = (snr * snr) >> 20
            else:
                signal[c] = ((snr >> 6) - 64) & _U32
    correction = plan.log_correction_bits
    for c in range(num_channels):
        v = signal[c]
        if plan.log_enable:
            if correction < 0:
                v >>= -correction
            else:
                v = (v << correction) & _U32
            v = _log_q(v, plan.log_shift, plan.log_lut) if v > 1 else 0
        out_row[c] = v if v < 65535 else 65535


@njit(cache=True)
def process_frames(sig, num_frames, plan, estimate, out):
    """Frames 0..num_frames-1 of ``sig`` (already DC-notched) into ``out`` [num_frames, channels]."""
    n = plan.ncfft
    win = np.zeros(plan.window_size + 1, np.int64)
    in_re = np.zeros(n, np.int64)
    in_im = np.zeros(n, np.int64)
    re = np.zeros(n, np.int64)
    im = np.zeros(n, np.int64)
    out_re = np.zeros(n + 1, np.int64)
    out_im = np.zeros(n + 1, np.int64)
    energy = np.zeros(n + 1, np.uint64)
    signal = np.zeros(plan.num_channels, np.int64)
    for f in range(num_frames):
        _frame(sig, f * plan.window_step, plan, estimate, out[f], win, in_re, in_im, re, im, out_re, out_im,
               energy, signal)


@njit(cache=True)
def process_clips(clips, num_frames, plan, out):
    """Batch mode: each row of ``clips`` from a fresh state (DC notch and noise estimate zeroed)."""
    estimate = np.zeros(plan.num_channels, np.int64)
    sig = np.zeros(clips.shape[1], np.int16)
    state = np.zeros(2, np.int64)
    for i in range(clips.shape[0]):
        estimate[:] = 0
        if plan.dc_notch_enable:
            state[:] = 0
            dc_notch(clips[i], sig, plan.dc_notch_coef, state)
            process_frames(sig, num_frames, plan, estimate, out[i])
        else:
            process_frames(clips[i], num_frames, plan, estimate, out[i])
