"""``harken datasets ...``: the dataset command group (list, download, synth, info)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="List, download, generate and inspect datasets.")
