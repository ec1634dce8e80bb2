"""Shared test fixtures: paths to the bundled reference data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
GOLDEN_FRONTEND = DATA / "golden_frontend"


def golden_settings_files() -> list[Path]:
    """Every golden front-end settings file (one per reference setting)."""
    return sorted((GOLDEN_FRONTEND / "settings").glob("*.json"))


def load_golden(settings_file: Path) -> dict:
    """The JSON of one golden settings file."""
    return json.loads(settings_file.read_text())


@pytest.fixture(autouse=True)
def _isolated_harken_home(tmp_path_factory, monkeypatch):
    """Keep caches written by tests out of the user's ~/.harken."""
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path_factory.getbasetemp() / "harken_home"))


def run_synth_cli(*args: str) -> dict:
    """Run ``harken datasets synth`` on a tiny set (1 clip per keyword, 1 worker, JSON out); return its JSON."""
    import typer
    from typer.testing import CliRunner

    from harken.cli.datasets import app as datasets_app

    app = typer.Typer()
    app.add_typer(datasets_app, name="datasets")
    result = CliRunner().invoke(app, ["datasets", "synth", "--clips-per-keyword", "1", "--workers", "1", "--json",
                                      "--quiet", *args])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])
