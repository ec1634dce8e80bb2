"""``harken view``: Netron serves the model on 127.0.0.1; ``--out`` writes a graph naming every layer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harken.cli.view import register
from harken.profile.counting import read_operators
from tests.conftest import DATA

TINY = DATA / "params" / "tiny_base.tflite"
ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_view_serves_the_model_over_http_on_localhost(tmp_path):
    pytest.importorskip("netron")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "harken", "view", str(TINY), "--no-browser", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"serving {TINY} at http://127.0.0.1:{port}"), line + proc.stderr.read()
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/data/tiny_base.tflite", timeout=30) as response:
            assert response.read() == TINY.read_bytes()
        with urllib.request.urlopen(f"{base}/", timeout=30) as response:
            assert '<meta name="file" content="/data/tiny_base.tflite">' in response.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def cli():
    app = typer.Typer()
    register(app)
    app.command("unused")(lambda: None)
    return app


@pytest.mark.parametrize("suffix", [".dot", ".svg"])
def test_out_writes_a_graph_naming_every_layer(cli, tmp_path, suffix):
    if suffix == ".svg" and not __import__("shutil").which("dot"):
        pytest.skip("Graphviz 'dot' is not installed")
    out = tmp_path / f"graph{suffix}"
    result = CliRunner().invoke(cli, ["view", str(TINY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"graph: {out}"
    text = out.read_text()
    assert all(f"{op.index} {op.op}" in text for op in read_operators(TINY))


def test_port_out_of_range_is_refused(cli):
    result = CliRunner().invoke(cli, ["view", str(TINY), "--port", "70000", "--no-browser"])
    assert result.exit_code != 0 and "--port 70000" in str(result.exception)
