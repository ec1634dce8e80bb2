"""``harken train | quantize | summarize | list | update-params``: the model commands.

Thin: parse, call the library (``harken.training.job``, ``harken.export.quantize``, ``harken.profile.summarize``,
``harken.spec.loader``, ``harken.export.tflite``), print. TensorFlow is imported inside the commands only.
A ``HarkenError`` becomes ``error: ...`` with exit code 2 in ``harken.cli.app.run``; an interrupted
training exits 130 after saying how to resume.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from harken.cli.app import interrupted
from harken.cli.text import pct as _pct
from harken.errors import SettingsError

NAME_HELP = "A spec name (NAME or NAME-test for a dry run; see 'harken list') or a spec .py file."


def register(app: typer.Typer) -> None:
    """Add the model commands to ``app``."""
    app.command("train", epilog="Examples:\n\n  harken train keyword_spotting_on_off-test\n\n"
                "  harken train on_off_offline\n\n  harken train my_model --resume")(train_command)
    app.command("quantize", epilog="Examples:\n\n  harken quantize on_off_offline")(quantize_command)
    app.command("summarize", epilog="Examples:\n\n  harken summarize keyword_spotting_on_off\n\n"
                "  harken summarize keyword_spotting_on_off --tflite\n\n  harken summarize model.tflite")(
        summarize_command)
    app.command("list", epilog="Examples:\n\n  harken list\n\n  harken list --json")(list_command)
    app.command("update-params", epilog="Examples:\n\n  harken update-params model.tflite suppression_ms=500\n\n"
                "  harken update-params model.tflite 'detection_threshold_list=[230,230,255]' volume_gain=1.5")(
        update_params_command)


def train_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help=NAME_HELP)],
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run from its last epoch.")] = False,
    workers: Annotated[Optional[int], typer.Option(help="Data worker processes (default: the pipeline's).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Train a model spec, quantize it to int8, evaluate it on the validation split and write its archive."""
    from harken.spec.loader import find_spec
    from harken.training.job import train
    from harken.training.runs import interruption_report

    spec = find_spec(name)
    try:
        result = train(spec, resume=resume, quiet=quiet, workers=workers)
    except KeyboardInterrupt:  # before or between the steps that report their own interruption
        raise interrupted(interruption_report(spec, spec.work_dir(), "training", f"harken train {name}")) from None
    if result.interrupted:  # what is saved, read back from the work directory
        raise interrupted(interruption_report(spec, result.fit.work_dir, result.interrupted, f"harken train {name}"))
    q, v = result.quantization, result.validation
    if as_json:
        typer.echo(json.dumps({"archive": str(result.archive_path), "tflite": str(q.tflite_path),
                               "validation": v, "epochs": result.fit.epochs_done}, indent=2))
        _warn_if_never_detects(q.tflite_path)
        return
    if spec.training.ensemble_size > 1:
        typer.echo(f"trained {spec.name}: an ensemble of {spec.training.ensemble_size} models (seeds {spec.seed}-"
                   f"{spec.seed + spec.training.ensemble_size - 1}) merged into one, their probabilities averaged")
    elif v["monitor"]:
        typer.echo(f"trained {spec.name}: {result.fit.epochs_done} epoch(s), best {v['monitor']} "
                   f"{v['best_value']:.4f} at epoch {v['best_epoch']}")
    else:
        typer.echo(f"trained {spec.name}: {result.fit.epochs_done} epoch(s), kept the last")
    for label, key in (("keras", "keras"), ("int8 .tflite", "int8_tflite")):
        per_class = ", ".join(f"{c} {_pct(r['accuracy'])}" for c, r in v[key]["per_class"].items())
        typer.echo(f"validation accuracy ({label}): {_pct(v[key]['accuracy'])} ({per_class})")
    typer.echo(f"int8 input scale {q.input_scale:.4g}, zero point {q.input_zero_point}; "
               f"TFLM arena {q.runtime_memory_size} bytes; int8 figures from TFLM (LiteRT differs on "
               f"{v['litert_clips_differing']} clip(s), by at most {v['litert_max_step_difference']} step)")
    typer.echo(f"archive: {result.archive_path}")
    _warn_if_never_detects(q.tflite_path)


def quantize_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help=NAME_HELP)],
) -> None:
    """Redo the float32 and int8 .tflite files (and the archive) from the saved trained model."""
    from harken._util.interrupts import interrupts_deferred
    from harken.export import archive
    from harken.export.quantize import quantize, tflite_paths
    from harken.spec.loader import find_spec

    spec = find_spec(name)
    outputs = [*tflite_paths(spec), spec.archive_path()]
    before = _stamps(outputs)
    try:
        result = quantize(spec)
        with interrupts_deferred():  # the archive of the new models, or a Ctrl-C before they were written
            written = archive.write_archive(spec)
    except KeyboardInterrupt:
        raise interrupted(_quantize_interrupted(name, outputs, before)) from None
    typer.echo(f"int8: {result.tflite_path} (input scale {result.input_scale:.4g}, zero point "
               f"{result.input_zero_point}, TFLM arena {result.runtime_memory_size} bytes)")
    if result.float_tflite_path:
        typer.echo(f"float32: {result.float_tflite_path}")
    typer.echo(f"archive: {written}")
    _warn_if_never_detects(result.tflite_path)


def summarize_command(
    target: Annotated[str, typer.Argument(metavar="NAME|FILE", help=NAME_HELP + " Or a .tflite/.keras/.harken.zip.")],
    tflite: Annotated[bool, typer.Option("--tflite", help="Summarize the int8 .tflite (op table, MACs, settings).")] = False,
) -> None:
    """Print a model's layer table, parameter/MAC/op totals and embedded settings."""
    from harken.profile.summarize import summarize

    typer.echo(summarize(target, tflite=tflite))


def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List the model specs found in the current folder, $HARKEN_MODEL_PATH and the built-in specs."""
    from harken.spec.loader import list_specs

    specs = list_specs()
    if as_json:
        typer.echo(json.dumps([{"name": s.name, "path": str(s.path), "description": s.description,
                                "builtin": s.builtin} for s in specs], indent=2))
        return
    width = max((len(s.name) for s in specs), default=0)
    for s in specs:
        typer.echo(f"{s.name:<{width}}  {s.description}")


def update_params_command(
    model: Annotated[Path, typer.Argument(metavar="MODEL", help="The .tflite file to change in place.")],
    settings: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...", help="Values are JSON, else text.")],
    force: Annotated[bool, typer.Option("--force", help="Also store keys harken does not know (values of known "
                                        "keys are still checked).")] = False,
) -> None:
    """Rewrite settings embedded in a .tflite (SL_PARAMSv1 metadata only; weights untouched).

    Every value is checked by the rules of the front end (fe.*) and of the command recognizer
    (thresholds 0..255, one per class, ...); the embedded hash is refreshed.
    """
    from harken.export.tflite.validate import update_model_params

    updates = {}
    for item in settings:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"{item!r}: write settings as KEY=VALUE, e.g. suppression_ms=500")
        try:
            updates[key.strip()] = json.loads(text)
        except ValueError:
            updates[key.strip()] = text
    written = update_model_params(model, updates, force=force)
    for key in (*updates, "hash"):
        typer.echo(f"{key}: {written[key].value}")


def run_spec_main(spec_file: str) -> None:
    """``python my_spec.py [train|summarize|quantize] [options]`` (default: train) for a spec file."""
    from harken.cli.app import run

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    args = sys.argv[1:] or ["train"]
    sys.argv = [sys.argv[0], args[0], str(spec_file), *args[1:]]
    run(app)


def _warn_if_never_detects(tflite: Path) -> None:
    """A spec whose detection settings can never fire at the model's default hop: say so before it ships."""
    from harken.errors import HarkenError
    from harken.streaming.model import never_detects
    from harken.streaming.recognizer import NEVER_DETECTS_REMEDY

    try:
        problem = never_detects(tflite)
    except HarkenError as exc:  # the model is written; a check that cannot run must not fail the command
        typer.echo(f"warning: the detection settings were not checked: {exc}", err=True)
        return
    if problem:
        typer.echo(f"warning: {problem}: the device would detect nothing; in the spec's detection settings, "
                   f"{NEVER_DETECTS_REMEDY}", err=True)


def _quantize_interrupted(name: str, outputs: list[Path], before: list) -> str:
    """The one line for a Ctrl-C in ``harken quantize``: which of its files it replaced, read from disk."""
    changed = [p.name for p, old, new in zip(outputs, before, _stamps(outputs)) if old != new]
    if not changed:
        return f"interrupted: no file was changed; run 'harken quantize {name}' again"
    if len(changed) == len(outputs):
        return f"interrupted after every file was written: {', '.join(changed)} are new and complete"
    kept = [p.name for p in outputs if p.name not in changed]
    return (f"interrupted: {', '.join(changed)} are new, {', '.join(kept)} still the previous; "
            f"run 'harken quantize {name}' again")


def _stamps(paths: list[Path]) -> list[tuple[int, int] | None]:
    """(mtime_ns, inode) of each file, None where missing: what an interrupted command changed."""
    stamps = []
    for path in paths:
        try:
            info = path.stat()
            stamps.append((info.st_mtime_ns, info.st_ino))
        except OSError:
            stamps.append(None)
    return stamps


