"""The static layer graph: DOT naming every operator, rendered by Graphviz when it is installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harken.errors import ModelFileError
from harken.profile.counting import read_operators
from harken.profile.graph import graph_dot, write_graph

TINY = (Path(__file__).parents[1] / "data" / "params" / "tiny_base.tflite").read_bytes()
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")


def labels() -> list[str]:
    return [f"{op.index} {op.op}" for op in read_operators(TINY)]


def test_dot_names_every_layer_and_chains_them_from_input_to_output():
    dot = graph_dot(TINY, name="tiny")
    assert all(f'label="{label}' in dot for label in labels())
    assert "input0 -> op0;" in dot and "op6 -> output0;" in dot
    assert all(f"op{i} -> op{i + 1};" in dot for i in range(6))


def test_dot_file_is_written_as_is(tmp_path):
    path = write_graph(TINY, tmp_path / "g.dot")
    assert path == tmp_path / "g.dot" and path.read_text() == graph_dot(TINY)


@needs_dot
def test_svg_rendered_by_graphviz_names_every_layer(tmp_path):
    svg = write_graph(TINY, tmp_path / "g.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and all(label in svg for label in labels())


@needs_dot
def test_png_rendered_by_graphviz(tmp_path):
    assert write_graph(TINY, tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_graphviz_the_dot_is_written_beside(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert write_graph(TINY, tmp_path / "g.svg") == tmp_path / "g.dot"


def test_unknown_picture_format_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match=r"g\.jpg: cannot write a graph as \.jpg; use \.dot, \.gv, \.svg or \.png"):
        write_graph(TINY, tmp_path / "g.jpg")
