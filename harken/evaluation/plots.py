"""Evaluation plots as PNG files: confusion matrix, ROC, precision-recall, score histograms.

In: an :class:`harken.evaluation.scoring.Evaluation` and its :class:`harken.evaluation.scoring.ScoredClips`.
Out: ``eval-confusion.png``, ``eval-roc.png``, ``eval-precision-recall.png``, ``eval-scores.png``.
Legend labels never start with the class name: matplotlib hides labels that start with ``_``
(``_unknown_``). Uses matplotlib's non-interactive Agg canvas (no display, no global pyplot state) and writes each
file atomically. It computes no figures of its own beyond the curves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harken.evaluation import metrics
from harken._util.atomic import atomic_path

__all__ = ["save_evaluation_plots"]


def _figure(num_panels: int = 1, *, width: float = 5.0, height: float = 4.0):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * num_panels, height), dpi=100, layout="constrained")
    return fig, [fig.add_subplot(1, num_panels, i + 1) for i in range(num_panels)]


def _save(fig, path: Path) -> Path:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return path


def _matrix_panel(ax, confusion: dict, title: str) -> None:
    counts = np.array(confusion["counts"], dtype=np.float64)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(confusion["predicted"])), confusion["predicted"], rotation=45, ha="right")
    ax.set_yticks(range(len(confusion["true"])), confusion["true"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for (i, j), n in np.ndenumerate(counts):
        ax.text(j, i, f"{int(n)}\n{shares[i, j]:.0%}", ha="center", va="center", fontsize=8,
                color="white" if shares[i, j] > 0.5 else "black")  # fmt: skip


def plot_confusion(evaluation, path: Path) -> Path:
    """Class-view confusion matrix, and the thresholded keyword/reject one when thresholds exist."""
    panels = 2 if evaluation.detection else 1
    fig, axes = _figure(panels)
    _matrix_panel(axes[0], evaluation.confusion_matrix, "top class")
    if evaluation.detection:
        _matrix_panel(axes[1], evaluation.detection["confusion_matrix"], "with detection thresholds")
    return _save(fig, path)


def plot_roc(scored, path: Path) -> Path:
    """One-vs-rest ROC curve of every class with clips of both kinds."""
    fig, (ax,) = _figure()
    for i, name in enumerate(scored.classes):
        positive = np.array([t == name for t in scored.true_labels], dtype=bool)
        auc = metrics.roc_auc(scored.probabilities[:, i], positive)
        if auc is None:
            continue
        fpr, tpr, _ = metrics.roc_curve(scored.probabilities[:, i], positive)
        ax.plot(fpr, tpr, label=f"AUC {auc:.3f}: {name}")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC (one class vs the rest)")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def plot_precision_recall(scored, path: Path) -> Path:
    """Precision-recall curve of every class that has clips."""
    fig, (ax,) = _figure()
    for i, name in enumerate(scored.classes):
        positive = np.array([t == name for t in scored.true_labels], dtype=bool)
        ap = metrics.average_precision(scored.probabilities[:, i], positive)
        if ap is None:
            continue
        precision, recall, _ = metrics.precision_recall_curve(scored.probabilities[:, i], positive)
        ax.step(np.r_[0.0, recall], np.r_[precision[0], precision], where="post", label=f"AP {ap:.3f}: {name}")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title("precision-recall")
    ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)


def plot_score_histograms(scored, thresholds: dict | None, path: Path) -> Path:
    """Per class: uint8 scores of its own clips versus all other clips, with its threshold."""
    classes = scored.classes
    fig, axes = _figure(len(classes), width=3.6, height=3.2)
    bins = np.arange(0, 257, 8)
    for i, (ax, name) in enumerate(zip(axes, classes)):
        positive = np.array([t == name for t in scored.true_labels], dtype=bool)
        ax.hist(scored.scores[~positive, i], bins=bins, alpha=0.6, label="other clips", color="tab:grey")
        ax.hist(scored.scores[positive, i], bins=bins, alpha=0.6, label=f"clips of {name}", color="tab:blue")
        if thresholds and name in thresholds:
            ax.axvline(thresholds[name], color="tab:red", linestyle="--", label=f"threshold {thresholds[name]}")
        ax.set_yscale("log")
        ax.set_xlabel(f"score of {name} (0..255)")
        ax.set_title(name)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("clips")
    return _save(fig, path)


def save_evaluation_plots(evaluation, scored, out_dir: str | Path) -> list[Path]:
    """Write the four evaluation PNGs into ``out_dir``; return their paths."""
    out = Path(out_dir)
    thresholds = evaluation.detection["thresholds"] if evaluation.detection else None
    return [
        plot_confusion(evaluation, out / "eval-confusion.png"),
        plot_roc(scored, out / "eval-roc.png"),
        plot_precision_recall(scored, out / "eval-precision-recall.png"),
        plot_score_histograms(scored, thresholds, out / "eval-scores.png"),
    ]
