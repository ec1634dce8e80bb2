"""Benchmark: wall time of `harken datasets synth` building a fresh on/off + negatives dataset.

Runs the real command (a subprocess, empty $HARKEN_HOME each time, so nothing comes from the cache)
after a tiny warm-up run, then counts clips and distinct voice/variant/rate/pitch combinations per
class from the manifest. Prints a table to stderr and one JSON object to stdout.

    python bench/synth.py                      # 1500 per keyword + 3000 unknown, 2 workers
    python bench/synth.py --clips-per-keyword 750 --unknown 1500 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_synth(home: Path, *, clips_per_keyword: int, unknown: int, workers: int, seed: int) -> tuple[float, dict]:
    env = dict(os.environ, HARKEN_HOME=str(home), PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "harken", "datasets", "synth", "--keywords", "on,off",
           "--clips-per-keyword", str(clips_per_keyword), "--unknown", str(unknown),
           "--workers", str(workers), "--seed", str(seed), "--json", "--quiet"]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return seconds, json.loads(done.stdout.strip().splitlines()[-1])


def count_combinations(dataset: Path) -> dict[str, dict[str, int]]:
    rows = [json.loads(line) for line in (dataset / "manifest.jsonl").read_text().splitlines() if line]
    out: dict[str, dict[str, set]] = {}
    for r in rows:
        d = out.setdefault(r["label"], {"clips": set(), "voices": set(), "combos": set(), "texts": set()})
        d["clips"].add(r["file"])
        d["voices"].add((r["engine"], r["voice"]))
        d["combos"].add((r["engine"], r["voice"], r["rate_wpm"], r["pitch"]))
        d["texts"].add(r["text"])
    return {label: {k: len(v) for k, v in d.items()} for label, d in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips-per-keyword", type=int, default=1500)
    parser.add_argument("--unknown", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="harken-bench-synth-") as tmp:
        run_synth(Path(tmp) / "warmup", clips_per_keyword=4, unknown=4, workers=args.workers, seed=0)
        times, summary = [], {}
        for i in range(args.repeats):
            seconds, summary = run_synth(Path(tmp) / f"run{i}", clips_per_keyword=args.clips_per_keyword,
                                         unknown=args.unknown, workers=args.workers, seed=0)  # fmt: skip
            times.append(seconds)
        counts = count_combinations(Path(summary["path"]))

    median = statistics.median(times)
    total = summary["num_clips"]
    print(f"harken datasets synth: {total} clips, {args.workers} workers, {os.cpu_count()} cores", file=sys.stderr)
    print(f"{'class':<12}{'clips':>8}{'voices':>8}{'voice/rate/pitch':>18}{'texts':>7}", file=sys.stderr)
    for label, c in counts.items():
        print(f"{label:<12}{c['clips']:>8}{c['voices']:>8}{c['combos']:>18}{c['texts']:>7}", file=sys.stderr)
    print(f"wall time: median {median:.1f} s over {len(times)} run(s) ({total / median:.0f} clips/s)", file=sys.stderr)
    result = {
        "bench": "synth",
        "unit": "s",
        "median": round(median, 3),
        "n": len(times),
        "times": [round(t, 3) for t in times],
        "num_clips": total,
        "clips_per_second": round(total / median, 1),
        "workers": args.workers,
        "classes": counts,
        "engines": summary["engines"],
        "machine": {"platform": platform.platform(), "processor": platform.machine(), "cpu_count": os.cpu_count()},
        "versions": {name: version(name) for name in ("numpy", "soxr", "espeakng-loader", "soundfile")}
        | {"python": platform.python_version()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
