"""Stream placement: one table of stream and clip figures for models evaluated with evaluate-stream and evaluate.

    python bench/stream_placement/compare.py NAME=STREAM_DIR[,CLIP_DIR] ... [--max-fa-per-hour 75]

STREAM_DIR holds ``harken evaluate-stream``'s stream-results.json, CLIP_DIR ``harken evaluate``'s
eval-results.json. Prints a markdown table to stderr and the figures as one JSON object to stdout:
false accepts per hour and false rejects at the model's thresholds, the delay from the word's end,
the lowest false rejects of one shared threshold at or under ``--max-fa-per-hour`` (DET curve), the
lowest at any threshold, and the clip balanced accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def stream_row(folder: Path, max_fa: float) -> dict:
    """The figures of one stream-results.json."""
    d = json.loads((folder / "stream-results.json").read_text())
    det = d["det_curve"]
    under = [p for p in det if p["false_accepts_per_hour"] <= max_fa]
    best = min(under, key=lambda p: (p["false_reject_rate"], p["false_accepts_per_hour"])) if under else None
    return {"hop_ms": d["hop_ms"], "fa_per_hour": d["false_accepts_per_hour"], "frr": d["overall_false_reject_rate"],
            "frr_on": d["false_reject_rate"]["on"], "frr_off": d["false_reject_rate"]["off"],
            "delay_median_s": d["delay_s"]["median"], "delay_p90_s": d["delay_s"]["p90"],
            "best_frr_at_max_fa": best and best["false_reject_rate"], "best_threshold": best and best["threshold"],
            "min_frr": min(p["false_reject_rate"] for p in det)}  # fmt: skip


def clip_row(folder: Path) -> dict:
    """Balanced accuracy and clip false accepts of one eval-results.json."""
    d = json.loads((folder / "eval-results.json").read_text())
    return {"balanced_accuracy": d["balanced_accuracy"], "ba_range": d["intervals"]["balanced_accuracy"],
            "clip_false_accept_rate": d["false_accept_rate"]}  # fmt: skip


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def secs(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f} s"  # no delay without a detection


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="NAME=STREAM_DIR[,CLIP_DIR]")
    ap.add_argument("--max-fa-per-hour", type=float, default=75.0)
    args = ap.parse_args()
    out = {}
    for run in args.runs:
        name, _, dirs = run.partition("=")
        stream_dir, _, clip_dir = dirs.partition(",")
        row = stream_row(Path(stream_dir), args.max_fa_per_hour)
        row.update(clip_row(Path(clip_dir)) if clip_dir else {})
        out[name] = row
    print(f"| model | hop | FA/h | FRR (on / off) | delay median, p90 | best FRR at <= {args.max_fa_per_hour:g} FA/h "
          "(threshold) | lowest FRR | clip balanced accuracy |", file=sys.stderr)
    print("|---|---|---|---|---|---|---|---|", file=sys.stderr)
    for name, r in out.items():
        ba = f"{pct(r['balanced_accuracy'])} [{pct(r['ba_range'][0])}-{pct(r['ba_range'][1])}]" if "ba_range" in r else "-"
        print(f"| {name} | {r['hop_ms']} ms | {r['fa_per_hour']:.0f} | {pct(r['frr'])} ({pct(r['frr_on'])} / "
              f"{pct(r['frr_off'])}) | {secs(r['delay_median_s'])}, {secs(r['delay_p90_s'])} | "
              f"{pct(r['best_frr_at_max_fa'])} ({r['best_threshold']}) | {pct(r['min_frr'])} | {ba} |", file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
