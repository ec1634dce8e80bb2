"""``harken features | view-audio``: spectrograms of wav files, and pictures of a clip's augmentations.

Thin: parse, call ``harken.frontend.files`` / ``harken.augment.preview``, print. Library imports happen
inside the commands so ``--help`` stays instant. Wire them into a Typer app with :func:`register`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def features(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="A wav file or a folder of wav files.")],
    settings: Annotated[
        Optional[Path],
        typer.Option("--settings", "-s", help="JSON object of fe.* front-end settings (the fe. prefix is optional)."),
    ] = None,
    dtype: Annotated[
        Optional[str],
        typer.Option(help="int8 (dynamic or static mapping, from the settings) or uint16 (raw). Default: int8."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output .npz: file name -> [frames, channels].")] = Path(
        "features.npz"
    ),
    png: Annotated[
        Optional[Path], typer.Option(help="Also save one PNG image per spectrogram into this folder.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Compute the microcontroller-exact spectrogram of wav files (batch mode, state reset per file)."""
    from harken.frontend.files import compute_features_for_files, find_wavs, save_npz, save_pngs
    from harken.frontend import FrontendSettings

    fe = FrontendSettings.load(settings) if settings is not None else FrontendSettings()
    files = find_wavs(input_path)
    arrays = compute_features_for_files(files, fe, dtype=dtype or "int8")
    save_npz(out, arrays)
    if png is not None:
        save_pngs(png, arrays, fe)
    if not quiet:
        first = next(iter(arrays.values()))
        typer.echo(f"{len(arrays)} spectrogram(s) of {first.shape[0]}x{first.shape[1]} {first.dtype} -> {out}")


def view_audio(
    audio: Annotated[Path, typer.Argument(help="The clip to augment (wav or flac).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the PNGs, wavs and augmentations.json.")] = Path(
        "views"
    ),
    settings: Annotated[
        Optional[Path], typer.Option("--settings", "-s", help="Front-end settings JSON (default: the v3 settings).")
    ] = None,
    augmentation: Annotated[
        Optional[Path], typer.Option(help="Augmentation JSON, a Compose's to_dict() (default: harken's default recipe).")
    ] = None,
    count: Annotated[int, typer.Option(min=1, max=256, help="How many augmented versions.")] = 8,
    seed: Annotated[int, typer.Option(help="Seed of the augmentation draws.")] = 0,
    rooms: Annotated[bool, typer.Option("--rooms/--no-rooms", help="Use the cached room impulse response bank.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Write PNGs of a clip's spectrogram and of N augmented versions, and the augmented wavs."""
    from harken.augment.compose import Compose
    from harken._util.settings import load_json_object
    from harken.frontend import FrontendSettings
    from harken.augment.preview import render_views
    from harken._util.outdir import output_folder

    fe = FrontendSettings.load(settings) if settings is not None else FrontendSettings()
    aug = Compose.from_dict(load_json_object(augmentation), owner=str(augmentation)) if augmentation else Compose()
    rirs = ()
    if rooms:
        from harken.datasets.rir import RirBankSettings, rir_bank

        bank = rir_bank(RirBankSettings(sample_rate_hz=fe.sample_rate_hz))
        rirs = [bank.get(i) for i in range(len(bank))]
    with output_folder(out):  # a read-only or full --out folder: one line, no half-made folder left
        written = render_views(audio, out, frontend=fe, augmentation=aug, count=count, seed=seed, rirs=rirs)
    if not quiet:
        typer.echo(f"{len(written)} files -> {out}")


def register(app: typer.Typer) -> None:
    """Add the ``features`` and ``view-audio`` commands to ``app``."""
    app.command(
        epilog="Examples:\n\n"
        "  harken features clip.wav --settings fe.json --out clip.npz\n\n"
        "  harken features clips/ --settings fe.json --dtype uint16 --out spec.npz --png pngs/",
    )(features)
    app.command(
        "view-audio",
        epilog="Examples:\n\n"
        "  harken view-audio clip.wav --out views/\n\n"
        "  harken view-audio clip.wav --settings fe.json --augmentation aug.json --count 16 --seed 3",
    )(view_audio)
