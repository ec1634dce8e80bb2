"""``harken datasets synth``: render a synthetic keyword dataset (parse, call, print)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

EPILOG = (
    "Examples:\n\n"
    "  harken datasets synth\n\n"
    "  harken datasets synth --keywords yes,no --clips-per-keyword 500 --unknown 1000 --out data/synth\n\n"
    "  harken datasets synth --seed 1 --workers 4 --json"
)


def synth(
    keywords: Annotated[str, typer.Option(help="Comma-separated keywords, one class folder each.")] = "on,off",
    out: Annotated[
        Optional[Path], typer.Option("--out", "-o", help="Also copy the dataset here (must not exist yet).")
    ] = None,
    clips_per_keyword: Annotated[int, typer.Option(help="Clips per keyword.", min=1)] = 1500,
    unknown: Annotated[int, typer.Option(help="Clips of negative words in _unknown_ (half near-misses).", min=0)] = 3000,
    sample_rate: Annotated[int, typer.Option(help="Sample rate of the clips in Hz.")] = 16000,
    clip_ms: Annotated[int, typer.Option(help="Clip length in milliseconds.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same bytes.")] = 0,
    engines: Annotated[Optional[str], typer.Option(
        help="Comma-separated TTS engines: espeak, piper (default: espeak; piper needs its voice package).")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (default: all cores).", min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no summary.")] = False,
) -> None:
    """Speak keywords and negative words with offline TTS voices into a Speech Commands-style folder.

    The dataset is cached under $HARKEN_HOME/synth/<hash>/ (a rerun with the same options reuses it;
    an interrupted run resumes). Clips are 16-bit mono wavs named <voice>_<hash>_nohash_<n>.wav.
    """
    import os

    from harken.datasets.synth import SynthSettings, export_dataset

    words = tuple(k for k in keywords.split(",") if k.strip())
    chosen = {"engines": tuple(e.strip() for e in engines.split(",") if e.strip())} if engines else {}
    settings = SynthSettings(keywords=words, num_clips_per_keyword=clips_per_keyword, num_unknown=unknown,
                             sample_rate_hz=sample_rate, clip_ms=clip_ms, seed=seed, **chosen)  # fmt: skip
    workers = workers or os.cpu_count() or 1
    try:
        result = _run(settings, workers, quiet)
    except KeyboardInterrupt:
        typer.echo("synth interrupted: finished chunks are kept; rerun the same command to resume", err=True)
        raise
    path = export_dataset(result.path, out) if out is not None else result.path
    summary = {"path": str(path), "hash": result.config_hash, "num_clips": result.num_clips,
               "clips": result.clips_per_label, "combinations": result.combinations_per_label,
               "voices": result.voices_per_label, "engines": list(result.engines),
               "from_cache": result.from_cache, "seconds": round(result.seconds, 2)}  # fmt: skip
    if as_json:
        typer.echo(json.dumps(summary))
    elif not quiet:
        counts = ", ".join(f"{k} {v}" for k, v in result.clips_per_label.items())
        cached = " (from the cache)" if result.from_cache else f" in {result.seconds:.1f} s"
        typer.echo(f"{result.num_clips} clips ({counts}) by {', '.join(result.engines)}{cached} -> {path}")


def _run(settings, workers: int, quiet: bool):  # noqa: ANN001, ANN202 - imports stay lazy
    from harken.datasets.synth import synthesize_dataset

    if quiet:
        return synthesize_dataset(settings, workers=workers)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("synth"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("synth", total=None)
        return synthesize_dataset(settings, workers=workers, progress=lambda d, t: bar.update(task, completed=d, total=t))
