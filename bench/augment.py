"""Benchmark: time of the waveform augmentations for one training sample, on one core.

A 2 s buffer at 16 kHz (length 32000, model window 16000) is made from a ~0.8 s speech-like word
(a harmonic vowel with a syllable envelope, between silences), with harken's default recipe
(``Compose()``, each transform at its default probability), generated noises, and a bank of 64 RIRs
of 0.3 s (exponentially decaying noise, RT60 0.1-0.6 s; ``--pyroomacoustics`` uses the cached
simulated bank instead). Fixed keys, a warm-up, then ``--samples`` samples per repeat; the median of
the repeats is reported. Also times the cropped-known, silence and SpecAugment paths, each stage,
and the cost of one transform's random stream (``default_rng([seed, epoch, index, transform_key])``).
Prints a table to stderr and one JSON object to stdout.

    python bench/augment.py
    python bench/augment.py --samples 2000 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harken.augment import (
    BackgroundNoise,
    Compose,
    Gain,
    MicFloor,
    PitchShift,
    Placement,
    Reverb,
    Speed,
    Trim,
)

SAMPLE_RATE_HZ = 16000
LENGTH, WINDOW = 32000, 16000


def speech_like_word(rng: np.random.Generator, seconds: float = 0.8) -> np.ndarray:
    """A voiced 'word' (120-180 Hz harmonics, two syllables) padded with 0.1 s of quiet each side."""
    n = int(seconds * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ
    f0 = rng.uniform(120, 180) * (1 + 0.1 * np.sin(2 * np.pi * 2 * t))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE_HZ
    voiced = sum(np.sin(k * phase) / k for k in range(1, 20))
    envelope = np.sin(np.pi * t / seconds) * (0.6 + 0.4 * np.sin(2 * np.pi * 2.5 * t) ** 2)
    word = voiced * envelope
    pad = np.full(int(0.1 * SAMPLE_RATE_HZ), 0.0)
    clip = np.concatenate([pad, word, pad]) + 1e-4 * rng.standard_normal(n + 2 * pad.size)
    return (0.5 * clip / np.max(np.abs(clip))).astype(np.float32)


def synthetic_rirs(num_rirs: int = 64, seconds: float = 0.3) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    n = int(seconds * SAMPLE_RATE_HZ)
    t = np.arange(n) / SAMPLE_RATE_HZ
    rirs = []
    for _ in range(num_rirs):
        rt60 = rng.uniform(0.1, 0.6)
        r = rng.standard_normal(n) * np.exp(-6.91 * t / rt60)
        r[0] = 3 * np.max(np.abs(r))
        rirs.append((r / np.sqrt(np.sum(r**2))).astype(np.float32))
    return rirs


def simulated_rirs() -> list[np.ndarray]:
    from harken.datasets.rir import RirBankSettings, rir_bank

    bank = rir_bank(RirBankSettings(num_rirs=64, max_length_s=0.3, max_rt60_s=0.6))
    return [bank.get(i) for i in range(len(bank))]


def time_per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pyroomacoustics", action="store_true", help="use the simulated RIR bank (slow first build)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    aug = Compose()
    rirs = simulated_rirs() if args.pyroomacoustics else synthetic_rirs()
    context = aug.context(sample_rate_hz=SAMPLE_RATE_HZ, length=LENGTH, window_length=WINDOW, rirs=rirs)
    words = [speech_like_word(np.random.default_rng([7, i])) for i in range(16)]
    spectrogram = np.random.default_rng(3).integers(-128, 128, (98, 104)).astype(np.int8)

    def full(i: int) -> None:
        aug(words[i % 16], key=(0, 0, i), context=context)

    def cropped(i: int) -> None:
        aug.make_cropped_known(words[i % 16], key=(1, 0, i), context=context)

    def silence(i: int) -> None:
        aug.make_silence(key=(2, 0, i), context=context)

    def masks(i: int) -> None:
        aug.mask_spectrogram(spectrogram, key=(3, 0, i))

    def stream(i: int) -> None:
        np.random.default_rng([4, 0, i, 3429174451]).random(4)

    cases = {"augment (all transforms, default p)": full, "cropped known": cropped, "silence": silence,
             "spec_augment": masks, "one transform's random stream": stream}
    for fn in cases.values():  # warm-up: numba, soxr, caches
        time_per_call(fn, 50)
    results = {}
    for name, fn in cases.items():
        times = [time_per_call(fn, args.samples) * 1e3 for _ in range(args.repeats)]
        results[name] = times

    # one stage at a time: trim and placement, and the stage at p = 1
    stages = {"trim + placement only": ([], []), "speed": ([Speed(p=1.0)], []), "pitch": ([PitchShift(p=1.0)], []),
              "gain": ([Gain(p=1.0)], []), "reverb": ([], [Reverb(p=1.0)]), "noise": ([], [BackgroundNoise(p=1.0)]),
              "mic floor": ([], [MicFloor(p=1.0)])}  # fmt: skip
    stage_ms = {}
    base = None
    for name, (word, buffer) in stages.items():
        one = Compose([Trim(), *word, Placement(), *buffer])
        one_context = one.context(sample_rate_hz=SAMPLE_RATE_HZ, length=LENGTH, window_length=WINDOW, rirs=rirs)

        def stage(i: int, one=one, one_context=one_context) -> None:
            one(words[i % 16], key=(4, 0, i), context=one_context)

        time_per_call(stage, 20)
        ms = statistics.median(time_per_call(stage, args.samples // 2) * 1e3 for _ in range(3))
        base = ms if base is None else base
        stage_ms[name] = ms if name.startswith("trim") else ms - base

    print(f"waveform augmentation, {LENGTH} samples ({WINDOW} window) at {SAMPLE_RATE_HZ} Hz, one core, "
          f"{len(rirs)} RIRs of {len(rirs[0]) / SAMPLE_RATE_HZ:.2f} s", file=sys.stderr)  # fmt: skip
    print(f"{'case':<38}{'median ms':>10}{'min':>8}{'max':>8}{'samples/s':>11}", file=sys.stderr)
    for name, times in results.items():
        med = statistics.median(times)
        print(f"{name:<38}{med:>10.3f}{min(times):>8.3f}{max(times):>8.3f}{1e3 / med:>11.0f}", file=sys.stderr)
    print("cost of each stage when applied (p = 1), over trim + placement:", file=sys.stderr)
    for name, ms in stage_ms.items():
        print(f"  {name:<36}{ms:>10.3f}", file=sys.stderr)

    main_times = results["augment (all transforms, default p)"]
    print(json.dumps({
        "bench": "augment",
        "unit": "ms",
        "median": round(statistics.median(main_times), 4),
        "n": len(main_times),
        "samples_per_repeat": args.samples,
        "cases": {k: round(statistics.median(v), 4) for k, v in results.items()},
        "stages_ms": {k: round(v, 4) for k, v in stage_ms.items()},
        "rirs": "pyroomacoustics" if args.pyroomacoustics else "synthetic",
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "python": platform.python_version()},
        "versions": {p: version(p) for p in ("numpy", "scipy", "soxr", "numba")},
    }))  # fmt: skip


if __name__ == "__main__":
    main()
