"""How much several trained models gain together: each int8 model's figures and their average's.

Scores the same clips with every model (TFLM interpreter, top class) and with the mean of their
probabilities: the accuracy an ensemble would reach, and so the most that distilling those models
into one could hope to keep. Also prints, for each, the best balanced accuracy
over keyword threshold pairs at <= ``--max-false-accepts`` (an oracle on the scored clips: it shows
the curve, it is not a way to choose thresholds). With ``--soup SPEC`` (``.keras`` models
fine-tuned from one start) it also scores their weight average, quantized to int8 with the spec's
settings and the first model's ``representative.npy``: a "model soup" (Wortsman et al., 2022; the
library's ``training.soup_size`` was measured and removed, docs/experiments.md); the members are
then scored as the int8 ``.tflite`` beside each.
With ``--merge SPEC`` it writes and scores one int8 model holding every member, whose output is
the mean of their probabilities: the ensemble as one deployable file (N times the MACs). A benchmark, never a test.

    python bench/ensemble.py A.tflite B.tflite C.tflite --dataset DEV
    python bench/ensemble.py A.keras B.keras C.keras --soup SPEC.py --dataset DEV
    python bench/ensemble.py A.keras B.keras C.keras --merge SPEC.py --dataset DEV
    python bench/ensemble.py A.tflite B.tflite --dataset DEV --split testing --validation-percentage 10 --testing-percentage 5
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from harken.evaluation import metrics
from harken.evaluation.scoring import score_dataset
from harken.runtime.clip_model import load_clip_model


def figures(probabilities: np.ndarray, true_labels: list[str], classes: list[str],
            thresholds: np.ndarray | None = None) -> tuple[float, dict[str, float], float]:
    """(balanced accuracy, keyword recall incl. reject, false-accept rate) of the top class over its threshold."""
    top = np.argmax(probabilities, axis=1)
    detected = [classes[c] for c in top]
    if thresholds is not None:
        hit = probabilities[np.arange(len(top)), top] >= thresholds[top]
        detected = [d if h else metrics.REJECT for d, h in zip(detected, hit)]
    recall, balanced, far, _ = metrics.keyword_view(true_labels, detected, order=classes)
    return balanced, recall, far


def best_at(probabilities: np.ndarray, true_labels: list[str], classes: list[str], max_far: float) -> tuple | None:
    """The threshold pair (probability 0.30-0.98 per keyword) with the best balanced accuracy at false accepts <= max_far."""
    keywords = [i for i, c in enumerate(classes) if metrics.is_keyword(c)]
    best = None
    for pair in itertools.product(np.arange(0.30, 0.99, 0.02), repeat=len(keywords)):
        thresholds = np.zeros(len(classes))
        thresholds[keywords] = pair
        balanced, recall, far = figures(probabilities, true_labels, classes, thresholds)
        if far <= max_far and (best is None or balanced > best[0]):
            best = (balanced, recall, far, pair)
    return best


def line(name: str, result: tuple) -> str:
    balanced, recall, far = result[:3]
    parts = " ".join(f"{k} {100 * v:5.1f}" for k, v in recall.items() if v is not None)
    return f"{name:44s} balanced {100 * balanced:5.1f}  {parts}  FA {100 * far:5.1f}"


def _keras_members(paths: list[Path], option: str) -> list:
    """The Keras models of ``paths``, which ``option`` needs as ``.keras`` files."""
    from harken.models.keras_file import load_keras_model

    if any(p.suffix != ".keras" for p in paths):
        raise SystemExit(f"{option} works on weights: give the .keras models")
    return [load_keras_model(p) for p in paths]


def _write_int8(model, paths: list[Path], spec_file: str, out: Path) -> Path:
    """``model`` as int8 with the spec's settings embedded (calibrated on the first member's representative.npy)."""
    from harken.export.quantize import convert_int8, embed_params
    from harken.spec.loader import load_spec

    representative = np.load(paths[0].parent / "representative.npy")
    out.write_bytes(embed_params(convert_int8(model, representative), load_spec(spec_file)))
    return out


def average_weights(weight_lists: list[list[np.ndarray]]) -> list[np.ndarray]:
    """The element-wise mean of several models' weights (``model.get_weights()`` lists of one architecture).

    Floating-point arrays are averaged (batch-norm statistics too); any others (counters, seed
    states) are taken from the first model.
    """
    first = weight_lists[0]
    if any(len(w) != len(first) or any(a.shape != b.shape for a, b in zip(w, first)) for w in weight_lists):
        raise SystemExit("--soup: the models' weights differ in number or shape (not the same model)")
    return [np.mean(np.stack(arrays), axis=0, dtype=np.float64).astype(arrays[0].dtype)
            if np.issubdtype(arrays[0].dtype, np.floating) else arrays[0].copy() for arrays in zip(*weight_lists)]


def soup_model(paths: list[Path], spec_file: str, out: Path) -> Path:
    """The int8 model of the weight average of ``paths`` (Keras files of one architecture), written to ``out``."""
    members = _keras_members(paths, "--soup")
    soup = members[0]
    soup.set_weights(average_weights([m.get_weights() for m in members]))
    return _write_int8(soup, paths, spec_file, out)


def merged_model(paths: list[Path], spec_file: str, out: Path) -> Path:
    """One int8 model running every member on the same input and averaging their probabilities, written to ``out``."""
    from harken.training.ensemble import merge_members

    return _write_int8(merge_members(_keras_members(paths, "--merge"), name="merged"), paths, spec_file, out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path, help=".tflite (or .keras) models with the same classes")
    parser.add_argument("--dataset", required=True, help="a folder of class folders")
    parser.add_argument("--split", choices=["training", "validation", "testing"], help="score one split only")
    parser.add_argument("--validation-percentage", type=float, default=10.0)
    parser.add_argument("--testing-percentage", type=float, default=10.0)
    parser.add_argument("--max-false-accepts", type=float, default=0.05)
    parser.add_argument("--soup", metavar="SPEC", help="also score the weight average (give .keras models and their spec)")
    parser.add_argument("--merge", metavar="SPEC", help="also write and score one int8 model averaging every member")
    args = parser.parse_args()
    paths = list(args.models)
    if args.soup or args.merge:  # members scored as their int8 models, like the soup and the merged model
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="harken-ensemble-"))
        paths = [p.with_suffix(".tflite") if p.with_suffix(".tflite").is_file() else p for p in paths]
        if args.soup:
            paths.append(soup_model(args.models, args.soup, folder / f"soup of the {len(args.models)}.tflite"))
        if args.merge:
            paths.append(merged_model(args.models, args.merge, folder / f"merged {len(args.models)}.tflite"))
            print(f"merged model: {paths[-1]}")
    scored = []
    for path in paths:
        model = load_clip_model(path)
        scored.append(score_dataset(model, args.dataset, split=args.split,
                                    split_percentages=(args.validation_percentage, args.testing_percentage)))
    classes = list(scored[0].classes)
    if any(list(s.classes) != classes or s.paths != scored[0].paths for s in scored):
        raise SystemExit("the models must have the same classes (and score the same clips)")
    truth = list(scored[0].true_labels)
    runs = [(p.name, s.probabilities.astype(np.float64)) for p, s in zip(paths, scored)]
    members = [p for _, p in runs[:len(args.models)]]
    runs.append((f"mean of the {len(members)} (probabilities)", np.mean(members, axis=0)))
    for name, probabilities in runs:
        print(line(name, figures(probabilities, truth, classes)))
        best = best_at(probabilities, truth, classes, args.max_false_accepts)
        if best is not None:
            pair = "/".join(f"{t:.2f}" for t in best[3])
            print(line(f"  best at FA <= {100 * args.max_false_accepts:g} % ({pair})", best))


if __name__ == "__main__":
    main()
