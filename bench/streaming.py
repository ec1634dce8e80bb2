"""The device loop on a long stream: speed against real time on one core, and scores against tflite-micro.

Usage: python bench/streaming.py [MODEL.tflite] [--minutes 60] [--hop-ms H] [--check-minutes 5] [--sample 1000]

MODEL defaults to the quickstart model ``$HARKEN_HOME/models/on_off_offline/on_off_offline.tflite``
(``harken train on_off_offline`` makes it; HARKEN_HOME defaults to ~/.harken). The stream (seeded) is
pink noise at -45 to -25 dBFS, changing every 10 s, with a speech clip (the golden front-end inputs
in tests/data, or the wavs of ``--speech DIR``) every 3-9 s at -6 to +18 dB over the noise.

1. Speed: ``run_device_loop`` over the whole stream at the model's default hop (or ``--hop-ms``),
   with the loop's default interpreter (tflite-micro; ``--interpreter litert`` for LiteRT's reference
   kernels), after a 10-s warm-up, pinned to one CPU core: seconds of audio per second of wall time.
2. Exactness: the first ``--check-minutes`` run again keeping every int8 window (their scores must
   equal the long run's), and ``--sample`` windows spread over them scored by a fresh tflite-micro
   interpreter: how many give the loop's uint8 scores. The same windows through LiteRT's reference
   kernels are counted too (for choosing ``--interpreter``).

Prints a table to stderr and one JSON object to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from harken.audio.io import read_audio
from harken.datasets.noise import colored_noise
from harken.streaming import load_stream_model, run_device_loop

REPO = Path(__file__).resolve().parents[1]
GOLDEN_SPEECH = REPO / "tests" / "data" / "golden_frontend" / "inputs" / "16k"
SPEECH_WORDS = ("on_", "off_", "marvin_", "seven_", "stop_")


def default_model() -> Path:
    home = Path(os.environ.get("HARKEN_HOME", Path.home() / ".harken"))
    return home / "models" / "on_off_offline" / "on_off_offline.tflite"


def speech_clips(folder: Path | None, rate: int) -> list[np.ndarray]:
    """Float32 speech clips: every wav under ``folder``, or the golden inputs that are words."""
    if folder is not None:
        paths = sorted(folder.rglob("*.wav"))[:2000]
    else:
        paths = sorted(p for p in GOLDEN_SPEECH.glob("*.wav") if p.name.startswith(SPEECH_WORDS))
    if not paths:
        sys.exit(f"no wav files in {folder or GOLDEN_SPEECH}")
    return [read_audio(p, sample_rate_hz=rate, dtype="float32")[0] for p in paths]


def make_stream(minutes: float, rate: int, clips: list[np.ndarray], seed: int) -> np.ndarray:
    """int16 stream: pink noise whose level changes every 10 s, a speech clip every 3-9 s."""
    rng = np.random.default_rng(seed)
    total = int(minutes * 60 * rate)
    audio = np.empty(total, np.float32)
    block = 10 * rate
    for start in range(0, total, block):
        n = min(block, total - start)
        audio[start : start + n] = colored_noise(n, exponent=1.0, rms_db=float(rng.uniform(-45, -25)), rng=rng)
    position = int(rng.uniform(1, 4) * rate)
    while position < total:
        clip = clips[int(rng.integers(len(clips)))]
        end = min(position + len(clip), total)
        noise_rms = float(np.sqrt(np.mean(audio[position:end] ** 2)) + 1e-9)
        clip_rms = float(np.sqrt(np.mean(clip**2)) + 1e-9)
        gain = noise_rms / clip_rms * 10 ** (float(rng.uniform(-6, 18)) / 20)
        audio[position:end] += clip[: end - position] * gain
        position = end + int(rng.uniform(3, 9) * rate)
    return np.clip(np.round(audio * 32768), -32768, 32767).astype(np.int16)


def agreement(scores: np.ndarray, reference: np.ndarray) -> tuple[int, int]:
    """(rows equal to the reference, largest difference in uint8 steps)."""
    same = int(np.sum(np.all(scores == reference, axis=1)))
    return same, int(np.max(np.abs(scores.astype(int) - reference.astype(int)), initial=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", type=Path, default=None)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--hop-ms", type=int, default=None)
    parser.add_argument("--check-minutes", type=float, default=5.0)
    parser.add_argument("--sample", type=int, default=1000)
    parser.add_argument("--speech", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--interpreter", choices=("tflm", "litert"), default="tflm")
    args = parser.parse_args()
    path = args.model or default_model()
    if not path.is_file():
        sys.exit(f"{path}: no model; train it with 'harken train on_off_offline' or give a .tflite")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    model = load_stream_model(path, interpreter=args.interpreter)
    rate = model.frontend.sample_rate_hz
    hop = args.hop_ms or model.hop_ms
    stream = make_stream(args.minutes, rate, speech_clips(args.speech, rate), args.seed)
    run_device_loop(model, stream[: 10 * rate], hop_ms=hop)  # warm-up: numba compiles, LiteRT allocates
    start = time.perf_counter()
    long_run = run_device_loop(model, stream, hop_ms=hop)
    elapsed = time.perf_counter() - start
    speed = len(stream) / rate / elapsed

    check = run_device_loop(model, stream[: int(args.check_minutes * 60 * rate)], hop_ms=hop, keep_windows=True)
    n = len(check.scores.times_ms)
    prefix_equal = bool(np.array_equal(check.scores.scores, long_run.scores.scores[:n]))
    chosen = np.unique(np.linspace(0, n - 1, min(args.sample, n)).round().astype(int))
    loop_scores = check.scores.scores[chosen]
    same, max_diff = agreement(load_stream_model(path, interpreter="tflm").scores(check.scores.windows[chosen]),
                               loop_scores)  # fmt: skip
    litert_same, litert_diff = agreement(load_stream_model(path, interpreter="litert").scores(
        check.scores.windows[chosen]), loop_scores)

    rows = [
        ("stream", f"{args.minutes:g} min, {len(long_run.scores.times_ms)} inferences, hop {hop} ms"),
        ("wall time", f"{elapsed:.1f} s ({elapsed * 1000 / max(1, len(long_run.scores.times_ms)):.2f} ms per hop)"),
        ("real-time factor (1 core)", f"{speed:.1f}x"),
        ("detections", f"{len(long_run.detections)} ({', '.join(sorted({d.label for d in long_run.detections}))})"),
        (f"first {args.check_minutes:g} min again", "same scores" if prefix_equal else "DIFFERENT scores"),
        (f"loop ({args.interpreter}) = tflite-micro", f"{same} of {len(chosen)} windows (max difference {max_diff})"),
        ("litert reference = loop", f"{litert_same} of {len(chosen)} windows (max difference {litert_diff})"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}", file=sys.stderr)
    import ai_edge_litert
    import numba

    print(json.dumps({
        "bench": "streaming", "unit": "x real time", "median": speed, "n": 1,
        "model": str(path), "minutes": args.minutes, "hop_ms": hop, "inferences": len(long_run.scores.times_ms),
        "wall_s": elapsed, "detections": len(long_run.detections),
        "interpreter": args.interpreter,
        "tflm_check": {"windows": len(chosen), "identical": same, "max_difference": max_diff,
                       "prefix_rerun_identical": prefix_equal},
        "litert_reference_check": {"windows": len(chosen), "identical": litert_same, "max_difference": litert_diff},
        "machine": {"cpu": platform.processor() or platform.machine(), "cores_used": 1, "system": platform.system()},
        "versions": {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
                     "ai_edge_litert": getattr(ai_edge_litert, "__version__", "?")},
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
