"""``harken datasets ...``: the dataset command group (list, download, synth, info)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="List, download, generate and inspect datasets.")

from harken.datasets.synth_cli import EPILOG as _SYNTH_EPILOG, synth  # noqa: E402

app.command("synth", epilog=_SYNTH_EPILOG)(synth)
