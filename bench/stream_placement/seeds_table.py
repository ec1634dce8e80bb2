"""Seed comparison: a model family against the quickstart's seeds, on clips and on streams, with paired differences.

    python bench/stream_placement/seeds_table.py EVAL_DIR --seeds 0,1,2 --streams dev30,real40 [--a q --b t]

EVAL_DIR holds, for each model ``{a,b}_s{seed}``: ``NAME-clips/eval-results.json`` (``harken evaluate``),
and per stream ``NAME-STREAM/stream-results.json`` (``harken evaluate-stream``) and ``NAME-STREAM-cal75.json``
(``harken calibrate NAME.tflite --stream ... --target-false-accepts-per-hour 75 --dry-run --json``). Prints
a markdown table to stderr (per seed, the mean, and B - A as the mean of the per-seed differences with its
95 % t-range over the seeds) and the figures as one JSON object to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from compare import clip_row, stream_row  # this folder's compare.py (a script's folder is on its path)

#: Two-sided 95 % t quantiles for n - 1 degrees of freedom.
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def figures(folder: Path, name: str, streams: list[str], max_fa: float) -> dict:
    """The clip balanced accuracy, and per stream the DET's best false rejects at <= ``max_fa`` and the calibrated ones."""
    out = {"clip_balanced_accuracy": clip_row(folder / f"{name}-clips")["balanced_accuracy"]}
    for stream in streams:
        row = stream_row(folder / f"{name}-{stream}", max_fa)
        out[f"{stream}_det_frr"] = row["best_frr_at_max_fa"]
        out[f"{stream}_cal_frr"] = _load(folder / f"{name}-{stream}-cal75.json")["score"]["overall_false_reject_rate"]
        out[f"{stream}_delay_median_s"] = row["delay_median_s"]
        out[f"{stream}_delay_p90_s"] = row["delay_p90_s"]
    return out


def paired(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean of b - a and the half-width of its 95 % t-range (nan for one seed)."""
    d = [y - x for x, y in zip(a, b)]
    mean = sum(d) / len(d)
    if len(d) < 2:
        return mean, float("nan")
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (len(d) - 1))
    return mean, T95.get(len(d) - 1, 2.0) * sd / math.sqrt(len(d))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--streams", default="dev30,real40")
    ap.add_argument("--a", default="q", help="name prefix of the baseline family")
    ap.add_argument("--b", default="t", help="name prefix of the compared family")
    ap.add_argument("--max-fa-per-hour", type=float, default=75.0)
    args = ap.parse_args()
    seeds, streams = [int(s) for s in args.seeds.split(",")], args.streams.split(",")
    table = {f"{p}_s{s}": figures(args.folder, f"{p}_s{s}", streams, args.max_fa_per_hour)
             for p in (args.a, args.b) for s in seeds}  # fmt: skip
    keys = list(next(iter(table.values())))
    print("| model | " + " | ".join(keys) + " |", file=sys.stderr)
    print("|---" * (len(keys) + 1) + "|", file=sys.stderr)
    fmt = lambda k, v: "-" if v is None else (f"{v:.2f}" if k.endswith("_s") else f"{100 * v:.1f}")  # noqa: E731
    for name, row in table.items():
        print(f"| {name} | " + " | ".join(fmt(k, row[k]) for k in keys) + " |", file=sys.stderr)
    summary = {}
    for p in (args.a, args.b):
        rows = [table[f"{p}_s{s}"] for s in seeds]
        summary[f"{p} mean"] = {k: sum(r[k] for r in rows) / len(rows) for k in keys}
        print(f"| {p} mean | " + " | ".join(fmt(k, summary[f'{p} mean'][k]) for k in keys) + " |", file=sys.stderr)
    diffs = {k: paired([table[f"{args.a}_s{s}"][k] for s in seeds], [table[f"{args.b}_s{s}"][k] for s in seeds])
             for k in keys}  # fmt: skip
    scale = lambda k: 1.0 if k.endswith("_s") else 100.0  # noqa: E731
    print(f"| {args.b} - {args.a} | " + " | ".join(f"{scale(k) * m:+.1f} +- {scale(k) * h:.1f}"
                                                 for k, (m, h) in diffs.items()) + " |", file=sys.stderr)  # fmt: skip
    print(json.dumps({"models": table, "means": summary, "differences": diffs}))


if __name__ == "__main__":
    main()
