"""A dev_mix spec scored on every dev speaker: the two speaker halves trade places (two-fold).

``on_off_dev_mix`` (and ``_large``) train on the real clips of the dev speakers that hash into
[15, 20) % and are scored on those in [10, 15) % (fold A: the spec as shipped). Fold B is the same
spec with the halves swapped by a speaker manifest (its ``split`` column): it trains on [10, 15)
and is scored on [15, 20). Pooled, the two folds score every dev speaker once, each by a model
that never heard them, so the figure carries about half the sampling error of one half (the 95 %
range is a cluster bootstrap over all the speakers). Real clips outside [10, 20) (generated
silence names, and the two TFLM example clips of speaker ``tflm``) keep fold A's split in both
folds: the silence ones are scored by fold A only, the tflm ones train in both. Fold A is trained
first when missing; both use the same base model. A benchmark, never a test:

    python bench/dev_mix_folds.py --spec on_off_dev_mix_large --work /tmp/ens --dev ../shared/data/speech_commands_dev
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from harken.evaluation.scoring import ScoredClips

REPO = Path(__file__).resolve().parent.parent
VALIDATION, TESTING = 10.0, 5.0  # on_off_dev_mix's REAL_VALIDATION_PERCENTAGE and REAL_TESTING_PERCENTAGE


def fold_rows(dev: str, fold: str) -> list[list[str]]:
    """Every dev clip as ``[file, speaker, split]`` in ``fold``: A as the spec splits it; B with
    [10, 15) training and [15, 20) tested, the rest as in A."""
    from harken.datasets import DirectorySettings, load_directory_dataset
    from harken.datasets.splits import percentage_hash

    root = Path(dev).expanduser().resolve()
    dataset = load_directory_dataset(root, DirectorySettings(validation_percentage=VALIDATION,
                                                             testing_percentage=TESTING))
    rows = []
    for s in dataset.samples:
        split = s.split
        if fold == "B":
            position = percentage_hash(s.speaker)
            split = ("training" if VALIDATION <= position < VALIDATION + TESTING
                     else "testing" if VALIDATION + TESTING <= position < VALIDATION + 2 * TESTING else s.split)
        rows.append([Path(s.path).relative_to(root).as_posix(), s.speaker, split])
    return rows


def write_manifest(rows: list[list[str]], path: Path) -> dict[str, int]:
    """A speaker manifest (``file, speaker, split``) of ``rows``; the number of clips per split."""
    counts: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "speaker", "split"])
        for row in rows:
            writer.writerow(row)
            counts[row[2]] = counts.get(row[2], 0) + 1
    return counts


def write_manifest_spec(spec: str, manifest: Path, path: Path, name: str) -> str:
    """A spec file ``PATH/NAME.py``: ``spec`` with every real-clip source split by ``manifest``; its name."""
    path.mkdir(parents=True, exist_ok=True)
    path.joinpath(f"{name}.py").write_text(
        "import copy\n"
        "from harken.spec.loader import find_spec\n"
        f"spec = copy.deepcopy(find_spec({spec!r}))\n"
        'spec.name, spec.source_path = "", None\n'
        "real = spec.datasets[2].directory\n"
        "for source in spec.datasets:\n"
        "    if source.directory == real:\n"
        f"        source.speaker_manifest = {str(manifest)!r}\n",
        encoding="utf-8")
    return name


def pooled(parts: list[ScoredClips]) -> ScoredClips:
    """The folds' scored clips as one set (each fold scores other speakers)."""
    from harken.evaluation.scoring import ScoredClips

    if len(parts) == 1:
        return parts[0]

    def joined(field: str) -> list:
        return [x for p in parts for x in getattr(p, field)]

    return ScoredClips(classes=parts[0].classes, paths=joined("paths"), labels=joined("labels"),
                       true_labels=joined("true_labels"), speakers=joined("speakers"),
                       probabilities=np.concatenate([p.probabilities for p in parts]),
                       scores=np.concatenate([p.scores for p in parts]))


def train(name: str, env: dict) -> Path:
    """``harken train NAME`` (skipped when its .tflite exists); the int8 model's path."""
    home = Path(env["HARKEN_HOME"])
    model = home / "models" / name / f"{name}.tflite"
    if not model.is_file():
        print(f"training {name} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "harken", "train", name, "--quiet"], env=env, check=True, cwd=REPO)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="on_off_dev_mix")
    parser.add_argument("--work", required=True, help="HARKEN_HOME is WORK/home; the fold-B spec and manifest go here")
    parser.add_argument("--dev", default=os.environ.get("HARKEN_DEV", str(REPO.parent / "shared" / "data" / "speech_commands_dev")))
    args = parser.parse_args()
    work = Path(args.work).resolve()
    dev = str(Path(args.dev).expanduser().resolve())
    manifest = work / "fold_b" / "dev_fold_b.csv"
    counts = write_manifest(fold_rows(dev, "B"), manifest)
    fold_b = write_manifest_spec(args.spec, manifest, work / "fold_b", f"{args.spec}_fold_b")
    env = {**os.environ, "HARKEN_HOME": str(work / "home"), "HARKEN_REAL_CLIPS": dev,
           "HARKEN_MODEL_PATH": str(work / "fold_b")}
    os.environ.update(env)

    from harken.evaluation.scoring import evaluate_scores, score_dataset
    from harken.runtime.clip_model import load_clip_model

    scored = {}
    for fold, name, options in (("A", args.spec, {}), ("B", fold_b, {"speaker_manifest": str(manifest)})):
        model = load_clip_model(train(name, env))
        scored[fold] = score_dataset(model, dev, split="testing", split_percentages=(VALIDATION, TESTING), **options)
    a, b = scored["A"], scored["B"]
    assert not set(a.paths) & set(b.paths), "the two folds' test clips overlap"
    out = {"bench": "dev_mix_folds", "spec": args.spec, "fold_b_manifest_splits": counts}
    for fold, s in (("A", a), ("B", b), ("pooled", pooled([a, b]))):
        ev = evaluate_scores(s)
        ci = ev.intervals
        out[fold] = {"num_clips": ev.num_clips, "num_speakers": ci["num_speakers"], "balanced": ev.balanced_accuracy,
                     "recall": ev.keyword_recall, "false_accepts": ev.false_accept_rate, "intervals": ci}
        rng = ci["balanced_accuracy"]
        print(f"fold {fold:<6} {ev.num_clips:4d} clips, {ci['num_speakers']:3d} speakers: balanced "
              f"{100 * ev.balanced_accuracy:.1f} [{100 * rng[0]:.1f}-{100 * rng[1]:.1f}], "
              + ", ".join(f"{k} {100 * v:.1f}" for k, v in ev.keyword_recall.items())
              + f", false accepts {100 * ev.false_accept_rate:.1f}", file=sys.stderr)
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
