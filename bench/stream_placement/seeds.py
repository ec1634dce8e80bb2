"""Write spec files for a seed comparison: the quickstart and a stream-placement variant, one file per seed.

    python bench/stream_placement/seeds.py --out specs/ --seeds 1,2            # quickstart q_s1.py, q_s2.py
    python bench/stream_placement/seeds.py --out specs/ --seeds 0,1,2 --variant tail300

Each file is a spec named after it (``q_sN`` or ``t_sN``), trained with ``harken train specs/q_s1.py``.
``tail300``: ``Placement(end_scale_ms=300)`` and ``CroppedKnown(p=0.10, p_tail=0.5)`` (words end near
the window's end, within the recognizer's 300 ms average; words leaving the window are ``_unknown_``).
Seed 0 of the quickstart is the built-in ``on_off_offline`` itself.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HERE = Path(__file__).resolve().parent

QUICKSTART = '''"""The quickstart (on_off_offline) with seed {seed}."""
import copy
from harken.spec.builtin.on_off_offline import spec as _quickstart
spec = copy.deepcopy(_quickstart)
spec.name = ""
spec.seed = {seed}
'''

TAIL300 = '''"""Stream placement (end_scale_ms=300, tail crops) of the quickstart, seed {seed}."""
import sys
sys.path.insert(0, {here!r})
from on_off_stream_end import stream_variant
spec = stream_variant(300.0, p_tail=0.5, p_cropped=0.10)
spec.seed = {seed}
'''


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seeds", default="1,2", help="comma-separated seeds")
    ap.add_argument("--variant", choices=("quickstart", "tail300"), default="quickstart")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    template, prefix = (QUICKSTART, "q") if args.variant == "quickstart" else (TAIL300, "t")
    for seed in (int(s) for s in args.seeds.split(",")):
        path = args.out / f"{prefix}_s{seed}.py"
        path.write_text(template.format(seed=seed, here=str(HERE)), encoding="utf-8")
        print(path)


if __name__ == "__main__":
    main()
