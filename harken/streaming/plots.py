"""The DET curve of a stream evaluation as a PNG: false-reject rate against false accepts per hour.

In: a :class:`harken.streaming.evaluate.StreamEvaluation` (its ``det_curve`` points and the figures at the
model's own thresholds). Out: ``stream-det.png``: the curve of all keywords pooled and one per keyword,
the model's operating point marked. The x axis is linear up to one false accept in the whole stream and
logarithmic above it (a short stream cannot tell 0 from less than one per its length). Matplotlib's Agg
canvas (no display), written atomically, as ``harken.evaluation.plots`` does. Computes no figures.
"""

from __future__ import annotations

from pathlib import Path

from harken.evaluation.plots import _figure, _save

__all__ = ["plot_det"]


def _xy(points: list[dict], keyword: str | None) -> tuple[list[float], list[float]]:
    pairs = []
    for p in points:
        figures = p if keyword is None else p["keywords"][keyword]
        if figures["false_reject_rate"] is not None:
            pairs.append((figures["false_accepts_per_hour"], 100.0 * figures["false_reject_rate"]))
    pairs.reverse()  # from the highest threshold (no detections) down, a path through the sweep
    return [x for x, _ in pairs], [y for _, y in pairs]


def plot_det(evaluation, path: Path) -> Path:
    """Write the DET curve of ``evaluation`` to ``path`` (PNG); return the path."""
    fig, (ax,) = _figure(width=6.0, height=4.5)
    score = evaluation.score
    one_per_stream = 3600.0 / max(score.duration_s, 1e-9)
    x, y = _xy(evaluation.det_curve, None)
    ax.plot(x, y, color="black", linewidth=2, label="all keywords (one threshold swept 0..255)")
    for keyword in score.keywords:
        kx, ky = _xy(evaluation.det_curve, keyword)
        if kx:
            ax.plot(kx, ky, linewidth=1, label=f"keyword {keyword}")
    if score.overall_false_reject_rate is not None:
        thresholds = ", ".join(f"{c} {t}" for c, t in zip(evaluation.classes, evaluation.thresholds)
                               if not c.startswith("_"))  # fmt: skip
        ax.plot([score.false_accepts_per_hour], [100.0 * score.overall_false_reject_rate], "o", color="tab:red",
                label=f"the model's thresholds ({thresholds})")  # fmt: skip
    ax.set_xscale("symlog", linthresh=one_per_stream)
    ax.set_xlim(0.0, max([*x, 0.0]) * 1.5 + 2 * one_per_stream)
    ax.set_ylim(0.0, 100.0)
    ax.set_xlabel(f"false accepts per hour (linear below {one_per_stream:.2g}: one in the stream)")
    ax.set_ylabel("false rejects (% of keywords)")
    ax.set_title(f"DET on {score.duration_s / 60:.1f} min, {sum(score.num_words.values())} keywords")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, path)
