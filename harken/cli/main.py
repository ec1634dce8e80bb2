"""The ``harken`` command line: a thin Typer layer that parses, calls the library and prints.

Exit codes: 0 ok, 1 a check that ran and failed, 2 bad input or usage (``error: ...``), 130 Ctrl-C.
Heavy imports (TensorFlow, matplotlib) happen inside the commands so ``--help`` is instant.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from harken.errors import HarkenError

app = typer.Typer(
    name="harken",
    help="From audio clips to a keyword-spotting model running on a microcontroller.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_subcommands() -> None:
    """Attach the command groups that live in their own modules."""
    from harken.cli.datasets import app as datasets_app

    app.add_typer(datasets_app, name="datasets", help="List, download, generate and inspect datasets.")
    from harken.cli import evaluate as cli_eval, model as cli_model

    cli_model.register(app)
    cli_eval.register(app)


@app.command(
    epilog="Examples:\n\n"
    "  harken features clip.wav --settings fe.json --out clip.npz\n\n"
    "  harken features clips/ --settings fe.json --dtype uint16 --out spec.npz --png pngs/",
)
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


@app.command(
    "view-audio",
    epilog="Examples:\n\n"
    "  harken view-audio clip.wav --out views/\n\n"
    "  harken view-audio clip.wav --settings fe.json --augmentation aug.json --count 16 --seed 3",
)
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

    fe = FrontendSettings.load(settings) if settings is not None else FrontendSettings()
    aug = Compose.from_dict(load_json_object(augmentation), owner=str(augmentation)) if augmentation else Compose()
    rirs = ()
    if rooms:
        from harken.datasets.rir import RirBankSettings, rir_bank

        bank = rir_bank(RirBankSettings(sample_rate_hz=fe.sample_rate_hz))
        rirs = [bank.get(i) for i in range(len(bank))]
    written = render_views(audio, out, frontend=fe, augmentation=aug, count=count, seed=seed, rirs=rirs)
    if not quiet:
        typer.echo(f"{len(written)} files -> {out}")


def _needs_tensorflow(args: list[str]) -> bool:
    """Will this command line load TensorFlow? (Then it is imported up front, without its chatter.)
    A .tflite argument to summarize/evaluate/calibrate runs on LiteRT alone and stays TF-free."""
    if not args or args[0] not in ("train", "quantize", "summarize", "evaluate", "calibrate"):
        return False
    if args[0] in ("train", "quantize"):
        return True
    positional = [a for a in args[1:] if not a.startswith("-")]
    return not (positional and positional[0].endswith(".tflite"))


def main() -> None:
    """Entry point: run the app, turning HarkenError into a one-line error and exit code 2."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter is not for users
    logging.basicConfig(level=os.environ.get("HARKEN_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    _register_subcommands()
    if _needs_tensorflow(sys.argv[1:]):
        from harken._util.tfquiet import import_tensorflow

        import_tensorflow()
    try:
        # In non-standalone mode click *returns* the exit code of typer.Exit (Ctrl-C gives 130).
        code = app(standalone_mode=False)
    except HarkenError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except Exception as exc:  # usage errors arrive here in non-standalone mode
        # click's ClickException, or the copy inside typer >= 0.17, which no longer installs click
        if any(cls.__name__ == "ClickException" for cls in type(exc).__mro__):
            exc.show()
            sys.exit(2)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":
    main()
