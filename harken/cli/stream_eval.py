"""``harken evaluate-stream`` and the stream mode of ``harken calibrate``: a model on a long labelled stream.

Thin commands: parse, call ``harken.streaming.evaluate`` / ``harken.streaming.calibrate``, print. Results go to
stdout (``--json`` for machines), progress to stderr (``--quiet`` turns it off). Library imports happen
inside the commands, so ``--help`` stays instant and TensorFlow is never imported. Register with :func:`register`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from harken.cli.text import pct as _pct

MODEL_HELP = "A model NAME (its trained .tflite), a .tflite or a NAME.harken.zip archive."
LABELS_HELP = "The stream's labels CSV: start_s,end_s,label per spoken word (harken datasets stream writes one)."
HOP_HELP = "Loop period in ms (inference + latency). Default: the model's estimated device inference time + latency_ms."
EPILOG = (
    "Examples:\n\n"
    "  harken evaluate-stream on_off_offline stream.wav --labels stream.csv\n\n"
    "  harken evaluate-stream model.tflite stream.wav --labels stream.csv --hop-ms 100 --out results/ --json"
)




def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def summary_lines(score) -> list[str]:
    """The figures of a StreamScore as text lines."""
    s = score
    words = sum(s.num_words.values())
    return [
        f"{s.duration_s / 60:.1f} min, {words} keywords: false accepts {sum(s.num_false_accepts.values())} "
        f"({s.false_accepts_per_hour:.2f} per hour), false rejects {_pct(s.overall_false_reject_rate)}",
        "per keyword: " + ", ".join(f"{k} {s.num_detected[k]}/{s.num_words[k]} detected "
                                    f"(false rejects {_pct(s.false_reject_rate[k])}, "
                                    f"false accepts {s.keyword_false_accepts_per_hour[k]:.2f}/h)" for k in s.keywords),
        f"delay from word end to detection: median {_seconds(s.delay_s['median'])}, 90th percentile "
        f"{_seconds(s.delay_s['p90'])}",
        "false accepts fell on: " + (", ".join(f"{k} {n}" for k, n in s.false_accepts_on.items()) or "nothing"),
    ]  # fmt: skip


def evaluate_stream(
    model: Annotated[str, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    stream: Annotated[Path, typer.Argument(metavar="STREAM.wav", help="The stream (a wav).")],
    labels: Annotated[Path, typer.Option("--labels", "-l", help=LABELS_HELP)],
    hop_ms: Annotated[Optional[int], typer.Option("--hop-ms", help=HOP_HELP, min=1)] = None,
    volume: Annotated[Optional[int], typer.Option("--volume", help="Integer volume gain (default: the model's volume_gain).", min=0)] = None,
    saturate: Annotated[bool, typer.Option("--saturate", help="Clip the gained samples instead of the firmware's int16 wrap-around.")] = False,
    interpreter: Annotated[str, typer.Option(help="tflm (the microcontroller interpreter: the device's scores) or litert (reference kernels, faster, rarely one step apart).")] = "tflm",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output folder. Default: the stream's folder.")] = None,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Write the DET curve PNG.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
) -> None:
    """Run the device loop over a labelled stream: false accepts per hour, false rejects, delay and the DET curve.

    A keyword counts as detected when a detection of its label falls in [start, end + 0.5 s]; a detection
    outside [start, end + 1.0 s] of every word of its label is a false accept. Writes stream-results.json,
    stream-detections.csv and stream-det.png.
    """
    from harken.cli.evaluate import _progress
    from harken.streaming.evaluate import evaluate_stream as run, save_stream_evaluation

    with _progress(quiet or as_json, "evaluate-stream (hops)") as progress:
        evaluation = run(model, stream, labels, hop_ms=hop_ms, volume_gain=volume, saturate=saturate,
                         interpreter=interpreter, progress=progress)  # fmt: skip
    written = save_stream_evaluation(evaluation, out if out is not None else stream.parent, plots=plots)
    if as_json:
        typer.echo(json.dumps(evaluation.to_dict()))
    elif not quiet:
        thresholds = ", ".join(f"{c} {t}" for c, t in zip(evaluation.classes, evaluation.thresholds))
        typer.echo("\n".join([f"hop {evaluation.hop_ms} ms, {evaluation.num_inferences} inferences, "
                              f"thresholds {thresholds}", *summary_lines(evaluation.score),
                              f"results -> {', '.join(str(p) for p in written)}"]))  # fmt: skip


def _whole_list(option: str, text: str) -> tuple[int, ...]:
    """``"300,500"`` -> (300, 500); SettingsError naming ``option`` otherwise."""
    from harken.errors import SettingsError

    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise SettingsError(f"{option} {text!r}: give comma-separated whole numbers, e.g. 300,500") from None
    return values


def _grid(search: dict):
    """The RecognizerGrid of the command line (the defaults where an option is not given)."""
    from harken.errors import SettingsError
    from harken.streaming.recognizer_search import RecognizerGrid

    fields = {"--windows-ms": "windows_ms", "--minimum-counts": "minimum_counts", "--suppressions-ms": "suppressions_ms"}
    given = {option: text for option, text in search.items() if option in fields and text is not None}
    if given and not search["search"]:
        raise SettingsError(f"{next(iter(given))} needs --search-recognizer")
    values = {fields[option]: _whole_list(option, text) for option, text in given.items()}
    for option, name in fields.items():
        if name in values:
            try:
                RecognizerGrid(**{name: values[name]})
            except SettingsError as exc:
                raise SettingsError(f"{option}: {str(exc).split(': ', 1)[1]}") from None
    return RecognizerGrid(**values)


def _point_row(point, keywords: list[str], classes: list[str]) -> list[str]:
    s = point.score
    window = "none" if point.window_ms == 0 else f"{point.window_ms}"
    return [window, str(point.minimum_count), str(point.suppression_ms),
            " ".join(str(point.thresholds[classes.index(k)]) for k in keywords), f"{s.false_accepts_per_hour:.1f}",
            _pct(s.overall_false_reject_rate), _seconds(s.delay_s["median"]), _seconds(s.delay_s["p90"])]  # fmt: skip


def search_lines(search, shown: int = 5) -> list[str]:
    """The best ``shown`` grid points, the chosen one and the model's current settings as a text table."""
    keywords = [c for c in search.classes if not c.startswith("_")]
    header = ["window ms", "count", "suppr. ms", "thr " + "/".join(keywords), "FA/h", "FRR", "delay med", "p90"]
    rows = [("", header)]
    rows += [("* " if p is search.best else "  ", _point_row(p, keywords, search.classes))
             for p in search.ranked()[:shown]]  # fmt: skip
    rows.append(("now", _point_row(search.current, keywords, search.classes)))
    widths = [max(len(r[1][i]) for r in rows) for i in range(len(header))]
    lines = [f"{mark:<3}" + "  ".join(cell.rjust(w) for cell, w in zip(cells, widths)) for mark, cells in rows]
    hop = f" at a {search.hop_ms} ms hop" if search.hop_ms else ""
    return [f"{len(search.points)} recognizer settings tried{hop} ({len(search.skipped)} skipped: count never met "
            f"in the window), best {min(shown, len(search.points))} and the model's own ('now', its thresholds "
            "chosen for the same target); * chosen:", *lines]  # fmt: skip


def _calibrate_search(model, stream, labels, *, target, hop_ms, dry_run, backup, as_json, quiet, grid) -> None:
    from harken.cli.evaluate import _progress
    from harken.streaming.calibrate import search_on_stream

    with _progress(quiet or as_json, "calibrate (hops)") as progress:
        found, path, backup_path = search_on_stream(model, stream, labels, target_false_accepts_per_hour=target,
                                                    grid=grid, hop_ms=hop_ms, dry_run=dry_run, backup=backup,
                                                    progress=progress)  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**found.to_dict(), "dry_run": dry_run, "model": str(path),
                               "backup": str(backup_path) if backup_path else None}))  # fmt: skip
        return
    if quiet:
        return
    best = found.best
    typer.echo("\n".join([*search_lines(found), *summary_lines(best.score)]))
    if found.one_false_accept_per_hour > found.keyword_share_per_hour:
        typer.echo(f"note: one false accept on this stream is {found.one_false_accept_per_hour:.2f} per hour, so the "
                   "thresholds allow none; a longer stream measures the target more finely")  # fmt: skip
    written = {**best.stored(), "detection_threshold_list": best.thresholds}
    text = ", ".join(f"{k} {v}" for k, v in written.items())
    if dry_run:
        typer.echo(f"dry run: {text} not written")
    else:
        typer.echo(f"{text} -> {path}" + (f" (backup {backup_path})" if backup_path else ""))


def calibrate_stream(model: str, stream: Path, labels: Path | None, *, target: float, hop_ms: int | None,
                     dry_run: bool, backup: bool, as_json: bool, quiet: bool, search: dict | None = None) -> None:  # fmt: skip
    """``harken calibrate MODEL --stream S.wav --labels S.csv``: thresholds for a false-accepts-per-hour target
    (with ``--search-recognizer``: the averaging window, minimum count and suppression too)."""
    from harken.cli.evaluate import _progress
    from harken.errors import SettingsError
    from harken.streaming.calibrate import calibrate_on_stream

    if labels is None:
        raise SettingsError(f"{stream}: --stream needs --labels (the stream's labels CSV)")
    grid = _grid(search or {"search": False})
    if search and search["search"]:
        return _calibrate_search(model, stream, labels, target=target, hop_ms=hop_ms, dry_run=dry_run, backup=backup,
                                 as_json=as_json, quiet=quiet, grid=grid)  # fmt: skip
    with _progress(quiet or as_json, "calibrate (hops)") as progress:
        cal, path, backup_path = calibrate_on_stream(model, stream, labels, target_false_accepts_per_hour=target,
                                                     hop_ms=hop_ms, dry_run=dry_run, backup=backup,
                                                     progress=progress)  # fmt: skip
    if as_json:
        typer.echo(json.dumps({**cal.to_dict(), "dry_run": dry_run, "model": str(path),
                               "backup": str(backup_path) if backup_path else None}))  # fmt: skip
        return
    if quiet:
        return
    for name in cal.keywords:
        threshold = cal.thresholds[cal.classes.index(name)]
        typer.echo(f"{name}: threshold {threshold}, false accepts {cal.score.keyword_false_accepts_per_hour[name]:.2f}"
                   f"/h (its share {cal.keyword_share_per_hour:.2f}/h), false rejects "
                   f"{_pct(cal.score.false_reject_rate[name])}")  # fmt: skip
    typer.echo("\n".join(summary_lines(cal.score)))
    if cal.one_false_accept_per_hour > cal.keyword_share_per_hour:
        typer.echo(f"note: one false accept on this stream is {cal.one_false_accept_per_hour:.2f} per hour, so the "
                   "thresholds allow none; a longer stream measures the target more finely")  # fmt: skip
    if dry_run:
        typer.echo(f"dry run: detection_threshold_list {cal.thresholds} not written")
    else:
        kept = f" (backup {backup_path})" if backup_path else ""
        typer.echo(f"detection_threshold_list {cal.thresholds} -> {path}{kept}")


def register(app: typer.Typer) -> None:
    """Add ``evaluate-stream`` to ``app`` (the stream mode of ``calibrate`` lives in ``harken.cli.evaluate``)."""
    app.command("evaluate-stream", epilog=EPILOG)(evaluate_stream)
