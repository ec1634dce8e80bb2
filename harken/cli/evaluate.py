"""``harken evaluate`` and ``harken calibrate``: score a model on labelled clips; set its thresholds.

Thin commands: parse, call ``harken.evaluation.scoring`` / ``harken.evaluation.calibrate``, print. Results go to stdout
(``--json`` for machines), the progress bar to stderr (``--quiet`` turns it off). Library imports
happen inside the commands, so ``--help`` stays instant; a .tflite model never imports TensorFlow.
Wire them into a Typer app with :func:`register`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from harken.cli.text import pct as _pct

MODEL_HELP = "A .tflite or .keras model file, or a model NAME (needs the spec module)."
DATASET_HELP = "A folder of class folders (on/, off/, _unknown_/, _silence_/...); classes the model lacks count as _unknown_."
RESULTS_NAME = "eval-results.json (skipped_files)"
SPLIT_HELP = "Only this split (training, validation, testing; by speaker hash). Default: every clip."


@contextmanager
def _progress(quiet: bool, label: str):
    """A progress callback drawing a rich bar on stderr (None when quiet)."""
    if quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)




def evaluate(
    model: Annotated[str, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    dataset: Annotated[Path, typer.Option("--dataset", "-d", help=DATASET_HELP)],
    split: Annotated[str | None, typer.Option(help=SPLIT_HELP)] = None,
    validation_percentage: Annotated[float | None, typer.Option(help="Speaker-hash share of the validation split. Default: the spec's, when MODEL is a spec NAME trained on this folder, else 10.")] = None,
    testing_percentage: Annotated[float | None, typer.Option(help="Speaker-hash share of the testing split. Default: the spec's, when MODEL is a spec NAME trained on this folder, else 10.")] = None,
    speaker_manifest: Annotated[Path | None, typer.Option(help="TSV/CSV with 'file' and 'speaker' and/or 'split' columns. Default: the spec's, as for the percentages.")] = None,
    settings: Annotated[Path | None, typer.Option(help="fe.* settings JSON (for a .keras without a sibling .tflite; the --baseline's too).")] = None,
    classes: Annotated[str | None, typer.Option(help="Comma-separated class names, if the model has none.")] = None,
    interpreter: Annotated[str, typer.Option(help="For a .tflite: tflm (the device's interpreter) or litert (reference kernels, ~2x faster, rarely 1 int8 step apart).")] = "tflm",
    baseline: Annotated[str | None, typer.Option(help="Another model (file or NAME) to compare with on the same clips: the differences and their paired 95 % ranges.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder. Default: the model's folder.")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write the PNG plots.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
) -> None:
    """Score a model on labelled clips as the firmware would; write eval-results.json and plots."""
    from harken.evaluation.scoring import compare_scores, evaluate_model, resolve_model, save_evaluation, spec_split_settings

    path = resolve_model(model)
    from_spec = spec_split_settings(model, dataset) or {}
    percentages = (from_spec.get("validation_percentage", 10.0) if validation_percentage is None else validation_percentage,
                   from_spec.get("testing_percentage", 10.0) if testing_percentage is None else testing_percentage)
    options = {"split": split, "split_percentages": percentages, "interpreter": interpreter, "settings": settings,
               "speaker_manifest": speaker_manifest if speaker_manifest is not None else from_spec.get("speaker_manifest"),
               "classes": classes.split(",") if classes else None}
    with _progress(quiet or as_json, "evaluate") as progress:
        evaluation, scored = evaluate_model(path, dataset, progress=progress, **options)
        if baseline is not None:  # the same clips, scored by the other model
            other = resolve_model(baseline)
            _, other_scored = evaluate_model(other, dataset, progress=progress, **options)
            evaluation.baseline = compare_scores(scored, other_scored, baseline_name=str(other))
    written = save_evaluation(evaluation, scored, out if out is not None else path.parent, plots=plots)
    if as_json:
        typer.echo(json.dumps(evaluation.to_dict()))
    elif not quiet:
        typer.echo(_evaluation_summary(evaluation) + f"\nresults -> {written[0]}")


def _range(intervals: dict | None, *keys: str) -> str:
    """`` [84.1-88.8]``: the bootstrap range of one figure (empty when there is none)."""
    value = intervals
    for key in keys:
        value = (value or {}).get(key)
    return "" if not value else f" [{100 * value[0]:.1f}-{100 * value[1]:.1f}]"


def _evaluation_summary(ev) -> str:
    ci = ev.intervals
    lines = [
        (f"{ev.num_clips} clips; accuracy {_pct(ev.accuracy)}, balanced accuracy {_pct(ev.balanced_accuracy)}"
         f"{_range(ci, 'balanced_accuracy')} (mean recall of {', '.join(ev.keyword_recall)})"),
        "recall: " + ", ".join(f"{k} {_pct(v)}{_range(ci, 'recall', k)}" for k, v in ev.keyword_recall.items()),
        (f"false accepts: {ev.num_false_accepts} ({_pct(ev.false_accept_rate)}{_range(ci, 'false_accept_rate')} "
         "of non-keyword clips)"),
        "ROC-AUC: " + ", ".join(f"{k} {v:.3f}" for k, v in ev.roc_auc.items() if v is not None),
    ]
    if ci:
        lines.append(f"[low-high]: {100 * ci['level']:.0f} % bootstrap range, the {ci['num_speakers']} speakers "
                     f"drawn with their clips ({ci['num_resamples']} resamples)")
    if ev.detection:
        d = ev.detection
        lines.append(
            f"with thresholds {d['thresholds']}: balanced accuracy {_pct(d['balanced_accuracy'])}"
            f"{_range(d.get('intervals'), 'balanced_accuracy')}, "
            + ", ".join(f"{k} {_pct(v)}" for k, v in d["keyword_recall"].items())
            + f", false accepts {_pct(d['false_accept_rate'])}{_range(d.get('intervals'), 'false_accept_rate')}"
        )
    if ev.baseline:
        lines.append(_baseline_summary(ev.baseline))
    if ev.skipped_files:
        lines.append(_skipped_summary(ev.skipped_files, RESULTS_NAME))
    return "\n".join(lines)


def _skipped_summary(skipped: list[dict], where: str) -> str:
    """``2 files left out (first: PATH: REASON); all are listed in WHERE``."""
    first = skipped[0]
    return (f"{len(skipped)} file(s) left out (first: {first['path']}: {first['reason']}); "
            f"all are listed in {where}")


def _points(entry: dict) -> str:
    """``+4.3 [+1.2 to +7.0]``: a difference in percentage points and its paired range."""
    if entry["difference"] is None:
        return "n/a"
    text = f"{100 * entry['difference']:+.1f}"
    return text + (f" [{100 * entry['range'][0]:+.1f} to {100 * entry['range'][1]:+.1f}]" if entry["range"] else "")


def _baseline_summary(b: dict) -> str:
    recalls = ", ".join(f"{k} {_points(v)}" for k, v in b["recall"].items())
    return (f"against {b['model']} (same clips; points, {100 * b['level']:.0f} % paired range over the "
            f"{b['num_speakers']} speakers): balanced accuracy {_points(b['balanced_accuracy'])}; {recalls}; "
            f"false accepts {_points(b['false_accept_rate'])}")


def calibrate(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="A .tflite model file, or a model NAME.")],
    dataset: Annotated[Path | None, typer.Option("--dataset", "-d", help=DATASET_HELP)] = None,
    target_false_accept: Annotated[
        float, typer.Option(help="Highest share of non-keyword clips each keyword may accept (0.01 = 1%).")
    ] = 0.01,
    stream: Annotated[Path | None, typer.Option(help="Calibrate on a long stream (a wav) instead of --dataset clips.")] = None,
    labels: Annotated[Path | None, typer.Option(help="The --stream's labels CSV (start_s,end_s,label).")] = None,
    target_false_accepts_per_hour: Annotated[float, typer.Option(help="With --stream: false accepts per hour allowed, all keywords together (an equal share each).")] = 0.5,
    hop_ms: Annotated[int | None, typer.Option("--hop-ms", help="With --stream: the device loop's period in ms (default: the model's).", min=1)] = None,
    search_recognizer: Annotated[bool, typer.Option("--search-recognizer", help="With --stream: also choose the averaging window, minimum count and suppression (a grid tried on one run; the lowest false-reject rate at the target).")] = False,
    windows_ms: Annotated[str | None, typer.Option("--windows-ms", help="With --search-recognizer: averaging windows to try, comma-separated ms (0: no averaging). Default 0,200,300,500,750,1000.")] = None,
    minimum_counts: Annotated[str | None, typer.Option("--minimum-counts", help="With --search-recognizer: minimum counts to try (1..50). Default 1,2,3.")] = None,
    suppressions_ms: Annotated[str | None, typer.Option("--suppressions-ms", help="With --search-recognizer: suppressions to try, ms (>= 2). Default 500,700,1000,1500.")] = None,
    split: Annotated[str | None, typer.Option(help=SPLIT_HELP)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the thresholds; change nothing.")] = False,
    backup: Annotated[bool, typer.Option("--backup/--no-backup", help="Keep MODEL.tflite.bak.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the calibration as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
) -> None:
    """Choose per-keyword detection thresholds for a false-accept target and store them in the model.

    On clips (--dataset: a share of non-keyword clips) or on a labelled stream (--stream/--labels: false
    accepts per hour, the device loop and recognizer as in evaluate-stream).
    """
    search = {"search": search_recognizer, "--windows-ms": windows_ms, "--minimum-counts": minimum_counts,
              "--suppressions-ms": suppressions_ms}  # fmt: skip
    if stream is not None:  # the stream mode: harken.cli.stream_eval
        from harken.cli.stream_eval import calibrate_stream

        return calibrate_stream(model, stream, labels, target=target_false_accepts_per_hour, hop_ms=hop_ms,
                                dry_run=dry_run, backup=backup, as_json=as_json, quiet=quiet, search=search)  # fmt: skip
    if any(search.values()):
        from harken.errors import SettingsError

        raise SettingsError(f"{model}: --search-recognizer and its grid options need --stream S.wav --labels S.csv")
    if dataset is None:
        from harken.errors import SettingsError

        raise SettingsError(f"{model}: calibrate needs --dataset DIR (clips) or --stream S.wav --labels S.csv")
    from harken.evaluation.calibrate import calibrate_model

    with _progress(quiet or as_json, "calibrate") as progress:
        cal, backup_path = calibrate_model(model, dataset, target_false_accept=target_false_accept, split=split,
                                           dry_run=dry_run, backup=backup, progress=progress)  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**cal.to_dict(), "dry_run": dry_run, "backup": str(backup_path) if backup_path else None}))
        return
    if quiet:
        return
    for name, far in cal.false_accept_rate.items():
        note = "" if cal.met[name] else "  (target not met)"
        typer.echo(f"{name}: threshold {cal.thresholds[cal.classes.index(name)]}, recall {_pct(cal.recall[name])}, "
                   f"false accepts {_pct(far)}{note}")  # fmt: skip
    if cal.skipped_files:
        typer.echo(_skipped_summary(cal.skipped_files, "the --json output (skipped_files)"))
    ci = cal.intervals
    typer.echo(f"overall false accepts {_pct(cal.overall_false_accept_rate)}{_range(ci, 'false_accept_rate')}, "
               f"balanced accuracy {_pct(cal.balanced_accuracy)}{_range(ci, 'balanced_accuracy')}")  # fmt: skip
    if ci:
        typer.echo(f"[low-high]: {100 * ci['level']:.0f} % range over the {ci['num_speakers']} speakers of "
                   f"{cal.num_non_keyword_clips} non-keyword clips: what other speakers like these may see")
    if dry_run:
        typer.echo(f"dry run: detection_threshold_list {cal.thresholds} not written")
    else:
        kept = f" (backup {backup_path})" if backup_path else ""
        typer.echo(f"detection_threshold_list {cal.thresholds} -> {model}{kept}")


def register(app: typer.Typer) -> None:
    """Add the ``evaluate`` and ``calibrate`` commands to ``app``."""
    app.command(
        epilog="Examples:\n\n  harken evaluate model.tflite --dataset data/speech_commands_dev\n\n"
        "  harken evaluate model.keras --dataset dev/ --settings fe.json --classes on,off,_unknown_ --out eval/",
    )(evaluate)
    app.command(
        epilog="Examples:\n\n  harken calibrate model.tflite --dataset dev/ --target-false-accept 0.01\n\n"
        "  harken calibrate model.tflite --dataset dev/ --dry-run --json\n\n"
        "  harken calibrate model.tflite --stream stream.wav --labels stream.csv --target-false-accepts-per-hour 0.5\n\n"
        "  harken calibrate model.tflite --stream stream.wav --labels stream.csv --target-false-accepts-per-hour 20 "
        "--search-recognizer --dry-run",
    )(calibrate)
