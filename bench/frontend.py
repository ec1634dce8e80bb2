"""Front-end throughput on one core: batch spectrograms per second and streaming speed vs real time.

Usage: python bench/frontend.py [--clips 2000] [--repeats 5]
Prints a table to stderr and one JSON object to stdout. Pins itself to one CPU core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

from harken.frontend import FrontendSettings, StreamingFrontend, compute_raw_spectrograms
from harken.frontend.output_scaling import convert_output

SETTINGS = {
    "v3 (16 kHz, 104 ch, 30/10 ms, DC notch, dynamic int8)": FrontendSettings(),
    "small (8 kHz, 32 ch, 30/20 ms, static int8)": FrontendSettings(
        sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=32, filterbank_lower_band_limit=100.0,
        filterbank_upper_band_limit=3999.0, noise_reduction_smoothing_bits=5, noise_reduction_even_smoothing=0.004,
        noise_reduction_odd_smoothing=0.004, noise_reduction_min_signal_remaining=0.05,
        dc_notch_filter_enable=False, quantize_dynamic_scale_enable=False),
}
STREAM_CHUNKS_MS = (None, 10, 100)  # None = one sample per call


def _clips(settings: FrontendSettings, count: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.clip(rng.standard_normal((count, settings.sample_length)) * 3000, -32768, 32767).astype(np.int16)


def bench_batch(settings: FrontendSettings, clips: np.ndarray, repeats: int) -> list[float]:
    """Spectrograms per second (int8 output included) for each repeat."""
    convert_output(compute_raw_spectrograms(clips[:4], settings), settings, "int8")  # compile / warm up
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        convert_output(compute_raw_spectrograms(clips, settings), settings, "int8")
        rates.append(len(clips) / (time.perf_counter() - start))
    return rates


def bench_stream(settings: FrontendSettings, seconds: float, chunk: int) -> float:
    """How many times faster than real time a stream of ``seconds`` runs with ``chunk`` samples a call."""
    audio = np.clip(np.random.default_rng(1).standard_normal(int(seconds * settings.sample_rate_hz)) * 3000,
                    -32768, 32767).astype(np.int16)
    stream = StreamingFrontend(settings)
    stream.push(audio[: settings.window_size])  # warm up
    stream.reset()
    start = time.perf_counter()
    for pos in range(0, len(audio), chunk):
        stream.push(audio[pos:pos + chunk])
        stream.window("int8") if pos % (settings.window_step * 10) < chunk else None
    return seconds / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    results = []
    for name, settings in SETTINGS.items():
        rates = bench_batch(settings, _clips(settings, args.clips), args.repeats)
        results.append({"case": f"batch {name}", "unit": "spectrograms/s", "median": statistics.median(rates),
                        "min": min(rates), "max": max(rates), "n": args.repeats, "clips": args.clips})
        for chunk_ms in STREAM_CHUNKS_MS:
            chunk = 1 if chunk_ms is None else settings.sample_rate_hz * chunk_ms // 1000
            seconds = 2.0 if chunk == 1 else 20.0
            speed = bench_stream(settings, seconds, chunk)
            label = "1 sample" if chunk_ms is None else f"{chunk_ms} ms"
            results.append({"case": f"stream {name}, chunks of {label}", "unit": "x real time", "median": speed,
                            "n": 1, "seconds_of_audio": seconds})
    width = max(len(r["case"]) for r in results)
    print(f"{'case':<{width}}  {'median':>10}  unit", file=sys.stderr)
    for r in results:
        print(f"{r['case']:<{width}}  {r['median']:>10.0f}  {r['unit']}", file=sys.stderr)
    import numba

    print(json.dumps({
        "bench": "frontend",
        "results": results,
        "machine": {"cpu": platform.processor() or platform.machine(), "cores_used": 1, "system": platform.system()},
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__},
    }, indent=1))


if __name__ == "__main__":
    main()
