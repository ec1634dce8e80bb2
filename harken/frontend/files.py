"""``harken features``: spectrograms of wav files, saved as .npz (and optionally PNG images).

In: a wav file or a folder of wavs, front-end settings. Out: {file name: [frames, channels]} in the
layout of the golden reference files, so comparing with them is one ``np.load`` away.
Files are read with ``read_audio`` (documented conversions: other sample widths and float to int16,
first channel of multichannel files, resampling to ``fe.sample_rate_hz``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from harken._util.atomic import atomic_path
from harken._util.outdir import output_folder
from harken.audio.io import read_audio
from harken.errors import AudioError, output_error
from harken.frontend import FrontendSettings, compute_spectrograms

AUDIO_SUFFIXES = (".wav", ".flac")


def find_wavs(path: str | os.PathLike) -> list[Path]:
    """The audio file itself, or the audio files directly inside a folder (sorted by name)."""
    path = Path(path)
    try:
        path.stat()
    except FileNotFoundError:
        raise AudioError(f"{path}: no such file or folder") from None
    except OSError as exc:
        raise AudioError(f"{path}: cannot open it ({exc.strerror or exc})") from None
    if path.is_dir():
        try:
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
        except OSError as exc:
            raise AudioError(f"{path}: cannot list the folder ({exc.strerror or exc})") from None
        if not files:
            raise AudioError(f"{path}: no .wav or .flac files in this folder")
        return files
    return [path]


def display_name(name: str) -> str:
    """A file name as valid text: bytes that are not UTF-8 (``caf\\xe9.wav``) are shown escaped."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def compute_features_for_files(
    files: list[Path], settings: FrontendSettings, *, dtype: str = "int8"
) -> dict[str, np.ndarray]:
    """{file name: spectrogram} for each file, each from a fresh front-end state; clips of equal
    length are computed together in one batch."""
    clips: dict[str, np.ndarray] = {}
    for f in files:
        samples, _ = read_audio(f, sample_rate_hz=settings.sample_rate_hz)
        if len(samples) < settings.window_size:
            raise AudioError(
                f"{f}: {len(samples)} samples is shorter than one window "
                f"({settings.window_size} samples = fe.window_size_ms {settings.window_size_ms})"
            )
        name = display_name(f.name)
        if name in clips:
            raise AudioError(f"{f}: two inputs share the name {name!r}")
        clips[name] = samples
    by_length: dict[int, list[str]] = {}
    for name, samples in clips.items():
        by_length.setdefault(len(samples), []).append(name)
    out: dict[str, np.ndarray] = {}
    for names in by_length.values():
        batch = np.stack([clips[n] for n in names])
        for name, spec in zip(names, compute_spectrograms(batch, settings, dtype=dtype)):
            out[name] = spec
    return {name: out[name] for name in clips}


def save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Write {name: array} as a compressed .npz, atomically (temp file + rename)."""
    try:
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez_compressed(tmp, **arrays)
    except OSError as exc:
        raise output_error(path, exc) from None


def save_pngs(folder: str | os.PathLike, arrays: dict[str, np.ndarray], settings: FrontendSettings) -> list[Path]:
    """One PNG per spectrogram (time left to right, low channels at the bottom)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with output_folder(folder) as out:
        return [_save_png(out, name, spec, settings, plt) for name, spec in arrays.items()]


def _save_png(folder: Path, name: str, spec: np.ndarray, settings: FrontendSettings, plt) -> Path:
    """One spectrogram as ``folder/NAME.png``."""
    step_s = settings.window_step_ms / 1000.0
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    try:
        frames, channels = spec.shape
        image = ax.imshow(spec.T, origin="lower", aspect="auto", cmap="magma", interpolation="nearest",
                          extent=(0, frames * step_s, 0, channels))
        ax.set_xlabel("time (s)")
        ax.set_ylabel("mel channel")
        ax.set_title(f"{name}  ({frames}x{channels} {spec.dtype})", fontsize=9)
        fig.colorbar(image, ax=ax, pad=0.01)
        fig.tight_layout()
        target = folder / (Path(name).stem + ".png")
        with atomic_path(target, suffix=".png") as tmp:  # never half a picture, never over a FIFO or device
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return target
