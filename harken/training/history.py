"""Training histories on disk: ``history.json`` and the ``history.png`` curves of one run or several.

In: histories (one list per metric: loss, accuracy, their ``val_`` forms, ``lr``), keyed by run
for several runs (an ensemble's members). Out: JSON and a PNG of loss, accuracy and learning rate
(matplotlib, imported on use). It does not record the history (``harken.training.callbacks`` does).
"""

from __future__ import annotations

from pathlib import Path

from harken._util.atomic import atomic_path, write_json_atomic

HISTORY_FILE = "history.json"


def save_histories(folder: Path, histories: dict[str, dict[str, list[float]]], *, title: str, monitor: str) -> None:
    """Several runs' histories (an ensemble's members) as ``history.json`` and ``history.png``."""
    write_json_atomic(folder / HISTORY_FILE, histories, indent=1)
    plot_histories(histories, folder / "history.png", title=title, monitor=monitor)


def plot_history(history: dict[str, list[float]], path: Path, *, title: str = "", monitor: str = "") -> None:
    """Loss and accuracy curves (training and validation) and the learning rate, as a PNG."""
    plot_histories({"": history}, path, title=title, monitor=monitor)


def plot_histories(histories: dict[str, dict[str, list[float]]], path: Path, *, title: str = "",
                   monitor: str = "") -> None:
    """:func:`plot_history` for several runs (an ensemble's members), each labelled by its key."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for run, history in histories.items():
        suffix = f" ({run})" if run else ""
        for ax, key in zip(axes[:2], ("loss", "accuracy")):
            for name in (key, f"val_{key}"):
                if name in history:
                    ax.plot(range(1, len(history[name]) + 1), history[name], label=name + suffix)
        if "lr" in history:
            axes[2].semilogy(range(1, len(history["lr"]) + 1), history["lr"], label=run or None)
    for ax, key in zip(axes, ("loss", "accuracy", "learning rate (end of epoch)")):
        ax.set_xlabel("epoch"), ax.set_title(key)
    for ax in axes[:2]:
        ax.legend(fontsize="small")
    fig.suptitle(f"{title} (checkpoint: {monitor})" if monitor else title)
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)
