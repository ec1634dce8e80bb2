"""Two speaker-disjoint views of a dev folder (symlinks), to build streams of speakers a dev_mix model never heard.

``on_off_dev_mix`` keeps aside the dev speakers whose hash falls in [10, 15) % (fold A: the spec as
shipped, validation 10 % / testing 5 %); fold B (``bench/dev_mix_folds.py``) swaps the halves and keeps
aside [15, 20) %. This writes ``OUT/A`` and ``OUT/B``: class folders (``on/``, ``off/``, ``_unknown_/``,
``_silence_/``) of symlinks to the clips each fold keeps aside, with the folds' own split
(``dev_mix_folds.fold_rows``, i.e. harken's ``load_directory_dataset`` and ``harken.datasets.splits``;
each ``_silence_`` file is its own "speaker", hashed by its name). A stream of ``OUT/A`` is held out
for a fold-A model, one of ``OUT/B`` for a fold-B model. Clips neither fold keeps aside (speakers
outside [10, 20) %: most ``_silence_`` files and the ``tflm_*`` clips, which train in both folds) are
in neither view. Prints per-class counts to stderr and one JSON object to stdout:

    python bench/stream_folds.py --dataset ../shared/data/speech_commands_dev --out /tmp/folds
    harken datasets stream --dataset /tmp/folds/A --minutes 20 --out /tmp/folds/streamA.wav
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dev_mix_folds import fold_rows  # noqa: E402  (the folds' one definition)

DEFAULT_DEV = "/work/shared/data/speech_commands_dev"
FOLDS = ("A", "B")


def held_out(dev: Path, fold: str) -> list[tuple[str, str]]:
    """``(relative file, speaker)`` of every clip ``fold`` keeps aside (its testing split)."""
    return [(file, speaker) for file, speaker, split in fold_rows(str(dev), fold) if split == "testing"]


def write_view(dev: Path, files: list[tuple[str, str]], out: Path) -> dict:
    """Class folders of symlinks under ``out`` (made beside it, then renamed); counts per class and speakers."""
    if out.exists():
        raise SystemExit(f"{out}: already exists; remove it or give another --out")
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        raise SystemExit(f"{partial}: left by an interrupted run; remove it first")
    for file, _ in files:
        link = partial / file
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(dev / file, link)
    partial.rename(out)
    classes = Counter(file.split("/", 1)[0] for file, _ in files)
    return {"clips": len(files), "speakers": len({s for _, s in files}),
            "speakers_without_silence": len({s for f, s in files if not f.startswith("_silence_/")}),
            "per_class": dict(sorted(classes.items()))}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default=DEFAULT_DEV, help="the dev folder (class folders of clips)")
    parser.add_argument("--out", required=True, help="writes OUT/A and OUT/B")
    args = parser.parse_args()
    dev, out = Path(args.dataset).expanduser().resolve(), Path(args.out).expanduser()
    if not dev.is_dir():
        raise SystemExit(f"{dev}: no such dataset folder")
    out.mkdir(parents=True, exist_ok=True)
    folds = {fold: held_out(dev, fold) for fold in FOLDS}
    if {f for f, _ in folds["A"]} & {f for f, _ in folds["B"]}:
        raise SystemExit("the folds' held-out clips overlap: the split rule changed")
    summary = {fold: write_view(dev, files, out / fold) for fold, files in folds.items()}
    everything = len(fold_rows(str(dev), "A"))
    summary["in_neither"] = everything - sum(summary[f]["clips"] for f in FOLDS)
    for fold in FOLDS:
        s = summary[fold]
        classes = ", ".join(f"{k} {v}" for k, v in s["per_class"].items())
        print(f"{out / fold}: {s['clips']} clips, {s['speakers']} speakers "
              f"({s['speakers_without_silence']} without _silence_): {classes}", file=sys.stderr)  # fmt: skip
    print(f"in neither view: {summary['in_neither']} clips", file=sys.stderr)
    print(json.dumps({"dataset": str(dev), "out": str(out), **summary}))


if __name__ == "__main__":
    main()
