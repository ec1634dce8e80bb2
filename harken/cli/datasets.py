"""``harken datasets ...``: the dataset command group (list, download, info, synth).

Each command parses its options, calls the library (``harken.datasets``) and prints: results on
stdout (``--json`` for machines), progress on stderr. Library imports happen inside the commands
so ``--help`` stays instant. A ``HarkenError`` becomes ``error: ...`` and exit code 2 in ``harken.cli.app.run``.
``synth`` lives in ``harken.cli.synth``; it is registered here so the group lists every dataset command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from harken.cli.stream_make import EPILOG as _STREAM_EPILOG, stream
from harken.cli.synth import EPILOG as _SYNTH_EPILOG, synth

app = typer.Typer(no_args_is_help=True, help="List, download, generate and inspect datasets.")

SPLIT_NAMES = ("training", "validation", "testing")


@app.command(
    "list",
    epilog="Examples:\n\n  harken datasets list\n\n  harken datasets list --json",
)
def list_sources(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per source, as a list.")] = False,
) -> None:
    """List the datasets harken can download and whether each is already in the cache ($HARKEN_HOME)."""
    from harken.datasets.sources import SOURCES, cached_dataset

    rows = []
    for source in SOURCES.values():
        cached = cached_dataset(source)
        rows.append(
            {"name": source.name, "cached": cached is not None, "path": str(cached) if cached else None,
             "url": source.url, "hash": source.hash, "license": source.license, "description": source.description}
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = f"cached at {row['path']}" if row["cached"] else "not downloaded"
        typer.echo(f"{row['name']:<20} {state}\n{'':<20} {row['description']} ({row['license']})")


@app.command(
    epilog="Examples:\n\n  harken datasets download speech_commands_v2\n\n"
    "  harken datasets download esc50 --dest data/esc50\n\n"
    "  harken datasets download https://example.org/words.tar.gz --hash sha256:3f2a...",
)
def download(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="A name from 'harken datasets list', or an archive URL.")
    ],
    dest: Annotated[
        Optional[Path], typer.Option(help="Extract here instead of $HARKEN_HOME/datasets/NAME.")
    ] = None,
    hash: Annotated[
        Optional[str], typer.Option("--hash", help="sha256:HEX or sha1:HEX of an archive URL.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Download, verify and extract a dataset (resumes an interrupted download; reuses the cache).

    Prints the dataset's folder.
    """
    from harken.datasets.sources import download_dataset, get_source

    typer.echo(str(download_dataset(get_source(name, hash=hash), dest=dest, quiet=quiet)))


@app.command(
    epilog="Examples:\n\n  harken datasets info ~/.harken/datasets/speech_commands_v2 --keywords on,off\n\n"
    "  harken datasets info data/words --json --strict",
)
def info(
    path: Annotated[Path, typer.Argument(help="A folder of class folders (Speech Commands layout).")],
    keywords: Annotated[
        Optional[str], typer.Option(help="Comma-separated keywords; other words become _unknown_.")
    ] = None,
    silence_percentage: Annotated[float, typer.Option(help="Generated _silence_ entries, % of each split.")] = 0.0,
    max_per_class: Annotated[Optional[int], typer.Option(help="Keep at most this many clips per class.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the per-class cap.")] = 0,
    speaker_manifest: Annotated[
        Optional[Path], typer.Option(help="TSV/CSV with 'file' and 'speaker' and/or 'split' columns: speakers named, splits chosen.")
    ] = None,
    check: Annotated[str, typer.Option(help="File check: 'header' (fast) or 'full' (decode every file).")] = "header",
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 2) when any file is bad.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rescan every file, ignoring the scan cache.")] = False,
    per_speaker: Annotated[bool, typer.Option("--per-speaker", help="Also list the clips of each speaker.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as one JSON object.")] = False,
) -> None:
    """Count a folder dataset's clips per class, split and speaker, and list the bad files left out."""
    from harken.datasets.directory import DirectorySettings, load_directory_dataset

    words = tuple(k.strip() for k in keywords.split(",") if k.strip()) if keywords else None
    settings = DirectorySettings(
        keywords=words, silence_percentage=silence_percentage, max_samples_per_class=max_per_class, seed=seed,
        check=check, strict=strict, speaker_manifest=str(speaker_manifest) if speaker_manifest else None,
    )
    summary = load_directory_dataset(path, settings, use_cache=not no_cache).summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        typer.echo(_format_info(summary, per_speaker=per_speaker))


def _format_info(summary: dict, *, per_speaker: bool) -> str:
    """The text report of ``info``: a table per class, split totals, weights, bad files."""
    from harken.datasets.directory import balanced_class_weights

    header = f"{'class':<20}" + "".join(f"{name:>12}" for name in (*SPLIT_NAMES, "total", "speakers"))
    lines = [summary["root"], "", header]
    for label, row in summary["per_class"].items():
        cells = [row[name] for name in (*SPLIT_NAMES, "total", "speakers")]
        lines.append(f"{label:<20}" + "".join(f"{c:>12}" for c in cells))
    splits, speakers = summary["splits"], summary["speakers_per_split"]
    totals = [*(splits[n] for n in SPLIT_NAMES), sum(splits.values()), len(summary["speakers"])]
    lines.append(f"{'all':<20}" + "".join(f"{c:>12}" for c in totals))
    lines.append("speakers per split: " + ", ".join(f"{n} {speakers[n]}" for n in SPLIT_NAMES))
    lines.append(f"background noise files: {summary['num_noise_files']}")
    training = {label: row["training"] for label, row in summary["per_class"].items()}
    if training and all(training.values()):
        weights = balanced_class_weights(training)
        lines.append("balanced class weights (training): " + ", ".join(f"{c} {w:.3f}" for c, w in weights.items()))
    if per_speaker:
        lines += ["", "clips per speaker:"] + [f"  {s:<20} {n}" for s, n in summary["speakers"].items()]
    bad = summary["bad_files"]
    lines += ["", f"bad files left out: {len(bad)}"] + [f"  {b['path']}: {b['reason']}" for b in bad]
    return "\n".join(lines)


app.command("synth", epilog=_SYNTH_EPILOG)(synth)
app.command("stream", epilog=_STREAM_EPILOG)(stream)


def register(parent: typer.Typer) -> None:
    """Add this group to ``parent`` as ``harken datasets``."""
    parent.add_typer(app, name="datasets", help="List, download, generate and inspect datasets.")
