"""What ``classify-audio`` keeps of a stream: the audio the model heard, its int8 windows, the detections.

In: a stream's heard audio (after the volume gain), a :class:`~harken.streaming.loop.StreamResult` with
its windows, detections. Out: ``NAME.wav``; ``NAME.npy`` (int8 [inferences, frames, channels]) with
``NAME.times_ms.npy`` and a PNG strip ``NAME.png`` (at most ``MAX_STRIP_WINDOWS`` windows, evenly
chosen, each titled with its time); a JSON report. Every file is written atomically, so an
interrupted run leaves whole files. It runs nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from harken._util.atomic import atomic_path, write_text_atomic
from harken.audio.io import write_wav

MAX_STRIP_WINDOWS = 16

__all__ = ["MAX_STRIP_WINDOWS", "dump_audio", "dump_spectrograms", "write_json_report"]


def dump_audio(folder: str | os.PathLike, name: str, audio: np.ndarray, sample_rate_hz: int) -> Path | None:
    """``folder/name.wav``: 16-bit PCM of what the model heard (None when there is no audio yet)."""
    if len(audio) == 0:
        return None
    path = Path(folder) / f"{name}.wav"
    write_wav(path, audio, sample_rate_hz)
    return path


def dump_spectrograms(folder: str | os.PathLike, name: str, windows: np.ndarray, times_ms: np.ndarray,
                      *, window_step_ms: int) -> list[Path]:  # fmt: skip
    """``name.npy`` (the int8 windows), ``name.times_ms.npy`` and the PNG strip ``name.png``."""
    folder = Path(folder)
    written = []
    for path, array in ((folder / f"{name}.npy", windows), (folder / f"{name}.times_ms.npy", times_ms)):
        with atomic_path(path, suffix=".npy") as tmp:
            np.save(tmp, array)
        written.append(path)
    if len(windows):
        written.append(_strip_png(folder / f"{name}.png", windows, times_ms, window_step_ms=window_step_ms))
    return written


def _strip_png(path: Path, windows: np.ndarray, times_ms: np.ndarray, *, window_step_ms: int) -> Path:
    """Up to MAX_STRIP_WINDOWS windows side by side (time left to right, low channels at the bottom)."""
    from matplotlib.figure import Figure

    chosen = np.unique(np.linspace(0, len(windows) - 1, min(len(windows), MAX_STRIP_WINDOWS)).round().astype(int))
    fig = Figure(figsize=(1.6 * len(chosen) + 0.6, 2.4), dpi=100, layout="constrained")
    axes = fig.subplots(1, len(chosen), squeeze=False)[0]
    frames = windows.shape[1]
    for ax, i in zip(axes, chosen):
        ax.imshow(windows[i].T, origin="lower", aspect="auto", cmap="magma", vmin=-128, vmax=127,
                  interpolation="nearest", extent=(-frames * window_step_ms / 1000, 0, 0, windows.shape[2]))  # fmt: skip
        ax.set_title(f"@{int(times_ms[i])} ms", fontsize=8)
        ax.tick_params(labelsize=6)
    axes[0].set_ylabel("mel channel", fontsize=7)
    fig.suptitle(f"int8 windows, {len(chosen)} of {len(windows)} inferences (s before each)", fontsize=8)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return path


def write_json_report(path: str | os.PathLike, report: dict[str, Any]) -> Path:
    """The report as indented JSON, atomically."""
    write_text_atomic(path, json.dumps(report, indent=1) + "\n")
    return Path(path)
