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
def _div(x, k):
    """kissfft's C_FIXDIV: x * (32767 / div) in Q15; the result always fits int16."""
    return (np.int64(x) * k + 16384) >> 15


@njit(inline="always", cache=True)
def _cmul_r(ar, ai, br, bi):
    """Real part of a Q15 complex product (fits int16 for the divided butterfly inputs)."""
    return (ar * np.int64(br) - ai * np.int64(bi) + 16384) >> 15


@njit(inline="always", cache=True)
def _cmul_i(ar, ai, br, bi):
    """Imaginary part of a Q15 complex product."""
    return (ar * np.int64(bi) + ai * np.int64(br) + 16384) >> 15


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


@njit(cache=True)
def append_samples(x, buffer, state):
    """Append ``x`` to ``buffer`` (DC-notched when enabled), all streaming state in one array:
    state = [fill, notch enabled, notch coefficient Q15, x[-1], y[-1]]. Returns the new fill.
    Few arguments keep the per-call cost low for one-sample chunks; the caller guarantees room."""
    fill = state[0]
    n = x.shape[0]
    if state[1]:
        dc_notch(x, buffer[fill:fill + n], state[2], state[3:5])
    else:
        buffer[fill:fill + n] = x
    state[0] = fill + n
    return fill + n


@njit(cache=True)
def quantize_dynamic_inplace(raw, dynamic_range, out):
    """int8 of each [frames, channels] window of ``raw`` [n, frames, channels], scaled to its own max."""
    for i in range(raw.shape[0]):
        top = np.int64(0)
        for f in range(raw.shape[1]):
            for c in range(raw.shape[2]):
                top = max(top, np.int64(raw[i, f, c]))
        lo = max(top - dynamic_range, 0)
        span = max(top - lo, 1)
        for f in range(raw.shape[1]):
            for c in range(raw.shape[2]):
                q = ((np.int64(raw[i, f, c]) - lo) * 255) // span - 128
                out[i, f, c] = min(max(q, -128), 127)


@njit(inline="always", cache=True)
def _bfly2(re, im, base, m, tw, t0, num_frames):
    for k in range(m):
        i0 = base + k
        i1 = i0 + m
        t = t0 + 2 * k
        wr = np.int64(tw[t])
        wi = np.int64(tw[t + 1])
        for f in range(num_frames):
            a0r = _div(re[i0, f], 16383)
            a0i = _div(im[i0, f], 16383)
            a1r = _div(re[i1, f], 16383)
            a1i = _div(im[i1, f], 16383)
            tr = (a1r * wr - a1i * wi + 16384) >> 15
            ti = (a1r * wi + a1i * wr + 16384) >> 15
            re[i1, f] = a0r - tr
            im[i1, f] = a0i - ti
            re[i0, f] = a0r + tr
            im[i0, f] = a0i + ti


@njit(inline="always", cache=True)
def _bfly4(re, im, base, m, tw, t0, num_frames):
    for k in range(m):
        i0 = base + k
        i1 = i0 + m
        i2 = i1 + m
        i3 = i2 + m
        t = t0 + 6 * k
        w1r = np.int64(tw[t])
        w1i = np.int64(tw[t + 1])
        w2r = np.int64(tw[t + 2])
        w2i = np.int64(tw[t + 3])
        w3r = np.int64(tw[t + 4])
        w3i = np.int64(tw[t + 5])
        for f in range(num_frames):
            # After the divide by 4 every value is <= 8192 in magnitude, so the products and the
            # first sums fit int16 without wrapping; only the final stores can wrap (the int16
            # arrays wrap them exactly as the C stores do).
            a0r = _div(re[i0, f], 8191)
            a0i = _div(im[i0, f], 8191)
            a1r = _div(re[i1, f], 8191)
            a1i = _div(im[i1, f], 8191)
            a2r = _div(re[i2, f], 8191)
            a2i = _div(im[i2, f], 8191)
            a3r = _div(re[i3, f], 8191)
            a3i = _div(im[i3, f], 8191)
            s0r = (a1r * w1r - a1i * w1i + 16384) >> 15
            s0i = (a1r * w1i + a1i * w1r + 16384) >> 15
            s1r = (a2r * w2r - a2i * w2i + 16384) >> 15
            s1i = (a2r * w2i + a2i * w2r + 16384) >> 15
            s2r = (a3r * w3r - a3i * w3i + 16384) >> 15
            s2i = (a3r * w3i + a3i * w3r + 16384) >> 15
            s5r = a0r - s1r
            s5i = a0i - s1i
            a0r = a0r + s1r
            a0i = a0i + s1i
            s3r = s0r + s2r
            s3i = s0i + s2i
            s4r = s0r - s2r
            s4i = s0i - s2i
            re[i2, f] = a0r - s3r
            im[i2, f] = a0i - s3i
            re[i0, f] = a0r + s3r
            im[i0, f] = a0i + s3i
            re[i1, f] = s5r + s4i
            im[i1, f] = s5i - s4r
            re[i3, f] = s5r - s4i
            im[i3, f] = s5i + s4r


@njit(inline="always", cache=True)
def _complex_fft_stages(re, im, plan, num_frames):
    """kissfft's decimation-in-time butterflies, innermost stage first, on [ncfft, frames] data
    already in leaf order; every frame is one SIMD lane."""
    n = plan.ncfft
    factors = plan.fft_factors
    tw = plan.stage_twiddles
    for s in range(factors.shape[0] // 2 - 1, -1, -1):
        p = factors[2 * s]
        m = factors[2 * s + 1]
        t0 = plan.stage_twiddle_offsets[s]
        for g in range(n // (p * m)):
            if p == 4:
                _bfly4(re, im, g * p * m, m, tw, t0, num_frames)
            else:
                _bfly2(re, im, g * p * m, m, tw, t0, num_frames)


@njit(inline="always", cache=True)
def _real_fft_split(re, im, out_re, out_im, plan, num_frames):
    """kiss_fftr's last step: the spectrum of 2*ncfft real samples from the packed complex FFT."""
    n = plan.ncfft
    st = plan.super_twiddles
    for f in range(num_frames):
        tdc_r = _sround(np.int64(re[0, f]) * 16383)
        tdc_i = _sround(np.int64(im[0, f]) * 16383)
        out_re[0, f] = tdc_r + tdc_i
        out_re[n, f] = tdc_r - tdc_i
        out_im[0, f] = 0
        out_im[n, f] = 0
    for k in range(1, n // 2 + 1):
        sr = np.int64(st[k - 1, 0])
        si = np.int64(st[k - 1, 1])
        for f in range(num_frames):
            fpk_r = _div(re[k, f], 16383)
            fpk_i = _div(im[k, f], 16383)
            fpnk_r = _div(re[n - k, f], 16383)
            fpnk_i = _div(_w16(-np.int64(im[n - k, f])), 16383)
            # halves are <= 16383 in magnitude: sums and differences fit int16
            f1r = fpk_r + fpnk_r
            f1i = fpk_i + fpnk_i
            f2r = fpk_r - fpnk_r
            f2i = fpk_i - fpnk_i
            twr = _sround(f2r * sr - f2i * si)
            twi = _sround(f2r * si + f2i * sr)
            out_re[k, f] = (f1r + twr) >> 1
            out_im[k, f] = (f1i + twi) >> 1
            out_re[n - k, f] = (f1r - twr) >> 1
            out_im[n - k, f] = (twi - f1i) >> 1


@njit(inline="always", cache=True)
def _sqrt_rounded(n):
    """The firmware's integer square root rounded to nearest (Sqrt64 with its 32-bit shortcut),
    branch-free so that it vectorises: a float estimate, one correction each way, then rounding."""
    one = np.uint64(1)
    u32 = np.uint64(_U32)
    r = np.uint64(math.sqrt(float(n)))
    r = min(r, u32)
    r -= np.uint64(r * r > n)
    r += np.uint64(r < u32 and (r + one) * (r + one) <= n)
    cap = np.uint64(0xFFFF) if n <= u32 else u32
    r += np.uint64(n - r * r > r and r != cap)
    return r


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


@njit(cache=True)
def process_frames(sig, num_frames, plan, estimate, out):
    """Frames 0..num_frames-1 of ``sig`` (already DC-notched) into ``out`` [num_frames, channels].

    The FFT, filterbank and square root do not depend on earlier frames, so they run on all frames
    at once (frames are SIMD lanes); noise reduction, PCAN and log then run frame after frame.
    """
    if num_frames == 0:
        return
    n = plan.ncfft
    size = plan.window_size
    step = plan.window_step
    window = plan.window
    perm = plan.fft_perm
    shift = np.empty(num_frames, np.int64)
    for f in range(num_frames):
        pos = f * step
        max_abs = 0
        for i in range(size):
            v = (np.int64(sig[pos + i]) * window[i]) >> 12
            # |x * w| >> 12 fits int16; -(-32768) wraps to -32768 in the firmware and never
            # counts as the maximum, so it is skipped here.
            a = v if v >= 0 else (-v if v != -32768 else 0)
            if a > max_abs:
                max_abs = a
        shift[f] = 15 - _msb(max_abs)
    re = np.empty((n, num_frames), np.int16)
    im = np.empty((n, num_frames), np.int16)
    for j in range(n):
        i = 2 * perm[j]
        wr = np.int64(window[i]) if i < size else 0
        wi = np.int64(window[i + 1]) if i + 1 < size else 0
        for f in range(num_frames):
            pos = f * step + i
            xr = (np.int64(sig[pos]) * wr) >> 12 if i < size else 0
            xi = (np.int64(sig[pos + 1]) * wi) >> 12 if i + 1 < size else 0
            re[j, f] = xr << shift[f]
            im[j, f] = xi << shift[f]
    _complex_fft_stages(re, im, plan, num_frames)
    out_re = np.empty((n + 1, num_frames), np.int16)
    out_im = np.empty((n + 1, num_frames), np.int16)
    _real_fft_split(re, im, out_re, out_im, plan, num_frames)
    e_start = plan.energy_start
    e_end = plan.energy_end
    energy = np.zeros((e_end, num_frames), np.uint64)
    for k in range(e_start, e_end):
        for f in range(num_frames):
            e = np.int64(out_re[k, f]) * out_re[k, f] + np.int64(out_im[k, f]) * out_im[k, f]
            # the firmware's int32 sum wraps for (-32768, -32768); as uint64 it is sign-extended
            energy[k, f] = np.uint64(e - 4294967296 if e > 2147483647 else e)
    num_channels = plan.num_channels
    signal = np.empty((num_frames, num_channels), np.int64)
    acc = np.empty(num_frames, np.uint64)
    coeffs = plan.fb_coeffs
    for c in range(num_channels):
        acc[:] = 0
        o = plan.fb_offset[c]
        s = plan.fb_start[c]
        for j in range(plan.fb_length[c]):
            w = coeffs[o + j]
            for f in range(num_frames):
                acc[f] += w * energy[s + j, f]
        for f in range(num_frames):
            signal[f, c] = np.int64(_sqrt_rounded(acc[f]) & np.uint64(_U32)) >> shift[f]
    for f in range(num_frames):
        _noise_pcan_log(signal[f], plan, estimate, out[f])


@njit(inline="always", cache=True)
def _noise_pcan_log(signal, plan, estimate, out_row):
    """The stateful per-frame stages: noise reduction (updates ``estimate``), PCAN and log."""
    num_channels = plan.num_channels
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
