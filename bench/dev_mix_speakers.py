"""How many real speakers does a dev_mix spec need? Fine-tunes on nested subsets of the training speakers.

``on_off_dev_mix`` fine-tunes on the real clips of half the dev speakers (fold A: 61 speakers,
407 word clips, plus real silence) and is scored on the other half. Here the same spec trains on
the first K of those speakers only (a seeded shuffle, nested: the 15 include the 8), every
other training speaker moved out by a speaker manifest, and each model is scored on the same
unseen speakers, so the figures form a learning curve: what each added speaker buys, and how far
the curve is from the earlier 93 % figure. ``--folds A,B`` repeats it with the halves swapped
(``bench/dev_mix_folds.py``) and pools the two; with ``all`` among the counts, each other row is
compared with it on paired speaker draws (``harken evaluate --baseline``'s bootstrap). ``0`` is the
base model the spec fine-tunes. Real silence clips stay in training at every K (they are
background noise, not speakers). The base model is shared. A benchmark, never a test:

    python bench/dev_mix_speakers.py --speakers 0,8,15,30,all --folds A,B --work /tmp/lc \
        --dev ../shared/data/speech_commands_dev
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dev_mix_folds import (REPO, TESTING, VALIDATION, fold_rows, pooled, train, write_manifest,  # noqa: E402
                           write_manifest_spec)

if TYPE_CHECKING:
    from harken.evaluation.scoring import ScoredClips


def is_training_word(file: str, split: str) -> bool:
    """A spoken clip of the fold's training speakers (real silence clips are not speakers)."""
    return split == "training" and not file.startswith("_silence_/")


def training_speakers(rows: list[list[str]], seed: int) -> list[str]:
    """The fold's training speakers, in a seeded order."""
    speakers = sorted({speaker for file, speaker, split in rows if is_training_word(file, split)})
    return [speakers[i] for i in np.random.default_rng(seed).permutation(len(speakers))]


def subset_rows(rows: list[list[str]], keep: set[str], fraction: float = 1.0, seed: int = 0) -> list[list[str]]:
    """The fold's rows with every training speaker outside ``keep`` moved to testing (never trained on).

    ``fraction`` < 1 keeps that share of each kept speaker's word clips (a seeded draw, at least one);
    a speaker's clips share one split, so a left-out clip gets a speaker of its own.
    """
    by_speaker: dict[str, list[str]] = {}
    for file, speaker, split in rows:
        if is_training_word(file, split) and speaker in keep:
            by_speaker.setdefault(speaker, []).append(file)
    rng = np.random.default_rng(seed)
    kept_clips = {file for speaker in sorted(by_speaker) for file in
                  rng.permutation(sorted(by_speaker[speaker]))[: max(1, round(fraction * len(by_speaker[speaker])))]}
    subset = []
    for file, speaker, split in rows:
        if is_training_word(file, split) and speaker not in keep:
            subset.append([file, speaker, "testing"])
        elif is_training_word(file, split) and file not in kept_clips:
            subset.append([file, f"{speaker}-left-out", "testing"])
        else:
            subset.append([file, speaker, split])
    return subset


def model_for(spec: str, fold: str, count: str, rows: list[list[str]], order: list[str], specs: Path,
              fold_manifest: str | None, subset_seed: int) -> str:
    """The spec name to train for one point of the curve (writing its spec file and manifest).

    ``count`` is a number of speakers, ``all`` or ``0`` (the base model), optionally ``@FRACTION``
    of each speaker's clips (``all@0.5``: every speaker, half of their clips).
    """
    speakers, _, share = count.partition("@")
    fraction = float(share) if share else 1.0
    if speakers == "0":  # no real speakers: the base model the spec fine-tunes
        from harken.spec.loader import find_spec

        return find_spec(spec).training.initial_weights
    if speakers == "all" and fraction == 1.0:
        return spec if fold == "A" else write_manifest_spec(spec, Path(fold_manifest), specs, f"{spec}_fold_b")
    name = (f"{spec}_{fold.lower()}_{speakers}spk" + (f"_clips{round(100 * fraction)}" if fraction < 1.0 else "")
            + (f"_order{subset_seed}" if subset_seed else ""))
    keep = set(order) if speakers == "all" else set(order[: int(speakers)])
    manifest = specs / f"{name}.csv"
    write_manifest(subset_rows(rows, keep, fraction, subset_seed), manifest)
    return write_manifest_spec(spec, manifest, specs, name)


def report(sets: dict[str, ScoredClips]) -> dict:
    """Each count's figures (stderr line, JSON row), and its paired difference to ``all`` when scored."""
    from harken.evaluation.scoring import compare_scores, evaluate_scores

    rows = {}
    for count, s in sets.items():
        ev = evaluate_scores(s)
        low, high = ev.intervals["balanced_accuracy"]
        row = {"num_clips": ev.num_clips, "balanced": ev.balanced_accuracy, "balanced_range": [low, high],
               "recall": ev.keyword_recall, "false_accepts": ev.false_accept_rate}
        line = (f"{count:>4} training speakers: balanced {100 * ev.balanced_accuracy:.1f} [{100 * low:.1f}-{100 * high:.1f}], "
                + ", ".join(f"{k} {100 * v:.1f}" for k, v in ev.keyword_recall.items())
                + f", false accepts {100 * ev.false_accept_rate:.1f} ({ev.num_clips} clips)")
        if "all" in sets and count != "all":  # paired: the same speakers drawn for both models
            d = row["against_all"] = compare_scores(s, sets["all"])["balanced_accuracy"]
            line += f"; against all: {100 * d['difference']:+.1f} [{100 * d['range'][0]:+.1f}, {100 * d['range'][1]:+.1f}]"
        rows[count] = row
        print(line, file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="on_off_dev_mix")
    parser.add_argument("--speakers", default="8,15,30,all",
                        help="training-speaker counts; 'all' is the spec itself, 0 its base model; "
                             "COUNT@F keeps a share F of each speaker's clips")
    parser.add_argument("--folds", default="A", help="A, B or A,B (pooled)")
    parser.add_argument("--subset-seed", type=int, default=0, help="seed of the speaker order")
    parser.add_argument("--work", required=True, help="HARKEN_HOME is WORK/home; specs and manifests go here")
    parser.add_argument("--dev", default=os.environ.get("HARKEN_DEV", str(REPO.parent / "shared" / "data" / "speech_commands_dev")))
    args = parser.parse_args()
    work = Path(args.work).resolve()
    dev = str(Path(args.dev).expanduser().resolve())
    specs = work / "speaker_specs"
    env = {**os.environ, "HARKEN_HOME": str(work / "home"), "HARKEN_REAL_CLIPS": dev, "HARKEN_MODEL_PATH": str(specs)}
    os.environ.update(env)

    from harken.evaluation.scoring import score_dataset
    from harken.runtime.clip_model import load_clip_model

    folds = [f.strip().upper() for f in args.folds.split(",")]
    counts = [c.strip() for c in args.speakers.split(",")]
    scored: dict[str, dict[str, ScoredClips]] = {c: {} for c in counts}
    for fold in folds:
        rows = fold_rows(dev, fold)
        fold_manifest = None
        if fold == "B":
            fold_manifest = str(work / "fold_b" / "dev_fold_b.csv")
            write_manifest(rows, Path(fold_manifest))
        order = training_speakers(rows, args.subset_seed)
        options = {"speaker_manifest": fold_manifest} if fold_manifest else {}
        for count in counts:
            name = model_for(args.spec, fold, count, rows, order, specs, fold_manifest, args.subset_seed)
            model = load_clip_model(train(name, env))
            scored[count][fold] = score_dataset(model, dev, split="testing", split_percentages=(VALIDATION, TESTING),
                                                **options)
    sets = {count: pooled([scored[count][f] for f in folds]) for count in counts}
    out = {"bench": "dev_mix_speakers", "spec": args.spec, "folds": folds, "subset_seed": args.subset_seed,
           "rows": report(sets)}
    print(json.dumps(out, default=float))


if __name__ == "__main__":
    main()
