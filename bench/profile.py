"""The cycle model of ``harken profile`` against the published measurements it is calibrated on.

Usage: python bench/profile.py [--target cortex-m33]
Prints, for every calibration point (the vendor's Cortex-M33 measurements, harken.profile.cycles.CALIBRATION),
the estimate beside the measurement and the error, then the whole measured model (the sum of its layers),
as a table on stderr and one JSON object on stdout. It runs no model: the figures are the formula's.
Other targets print the scaled estimates beside the Cortex-M33 measurements (not a calibration).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys

import numpy as np

from harken.profile.cycles import CALIBRATION, calibration_estimate, find_target


def main() -> None:
    """Print the calibration table (stderr) and the JSON summary (stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="cortex-m33")
    target = find_target(parser.parse_args().target)
    rows = []
    for point in CALIBRATION:
        estimate = calibration_estimate(point, target)
        rows.append({"layer": point.label, "measured_cycles": point.measured_cycles, "estimated_cycles": round(estimate),
                     "error_pct": round(100 * (estimate - point.measured_cycles) / point.measured_cycles, 2)})
    measured_total = sum(r["measured_cycles"] for r in rows)
    estimated_total = sum(r["estimated_cycles"] for r in rows)
    width = max(len(r["layer"]) for r in rows)
    print(f"{'layer':<{width}}  {'measured':>10}  {'estimate':>10}  {'error':>7}", file=sys.stderr)
    for r in rows:
        print(f"{r['layer']:<{width}}  {r['measured_cycles']:>10,.0f}  {r['estimated_cycles']:>10,}  "
              f"{r['error_pct']:>+6.1f}%", file=sys.stderr)
    total_error = 100 * (estimated_total - measured_total) / measured_total
    print(f"{'whole model (8 layers)':<{width}}  {measured_total:>10,.0f}  {estimated_total:>10,}  "
          f"{total_error:>+6.1f}%", file=sys.stderr)
    errors = [abs(r["error_pct"]) for r in rows]
    print(json.dumps({
        "bench": "profile_cycle_model", "unit": "abs % error of the estimated cycles per calibration layer",
        "target": target.name, "median": statistics.median(errors), "max": max(errors), "n": len(rows),
        "whole_model_error_pct": round(total_error, 2), "points": rows,
        "source": CALIBRATION[0].source,
        "machine": {"cpu": platform.processor() or platform.machine(), "system": platform.system()},
        "versions": {"python": platform.python_version(), "numpy": np.__version__},
    }))


if __name__ == "__main__":
    main()
