"""Save an evaluation: ``eval-results.json``, ``eval-predictions.csv`` and the PNG plots.

In: an :class:`~harken.evaluation.scoring.Evaluation` and its
:class:`~harken.evaluation.scoring.ScoredClips`. Out: the files, written atomically; a folder that
cannot be written (read-only, full disk) is one ``OutputError`` naming the file. It computes nothing.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from harken._util.atomic import write_json_atomic, write_text_atomic
from harken._util.outdir import output_folder
from harken.errors import output_error

if TYPE_CHECKING:
    from harken.evaluation.scoring import Evaluation, ScoredClips

RESULTS_FILE = "eval-results.json"
PREDICTIONS_FILE = "eval-predictions.csv"


def save_evaluation(
    evaluation: Evaluation, scored: ScoredClips, out_dir: str | os.PathLike, *, plots: bool = True
) -> list[Path]:
    """Write ``eval-results.json``, ``eval-predictions.csv`` and (``plots``) the PNG plots; return the paths."""
    out = Path(out_dir).expanduser()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["path", "label", "true", "predicted", *(f"score_{c}" for c in scored.classes)])
    for i, path in enumerate(scored.paths):
        predicted = scored.classes[int(np.argmax(scored.probabilities[i]))]
        writer.writerow([text_path(path), scored.labels[i], scored.true_labels[i], predicted,
                         *scored.scores[i].tolist()])  # fmt: skip
    with output_folder(out):
        target = out / RESULTS_FILE
        try:
            write_json_atomic(target, evaluation.to_dict(), indent=1)
            target = out / PREDICTIONS_FILE
            write_text_atomic(target, text.getvalue())
        except OSError as exc:
            raise output_error(target, exc) from None
        written = [out / RESULTS_FILE, out / PREDICTIONS_FILE]
        if plots:
            from harken.evaluation.plots import save_evaluation_plots

            written += save_evaluation_plots(evaluation, scored, out)
    return written


def text_path(path: str) -> str:
    """A path as valid text: bytes of a file name that are not UTF-8 are shown escaped (``caf\\xe9.wav``)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
