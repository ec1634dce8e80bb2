"""A static picture of a .tflite's layer graph: Graphviz DOT, rendered to SVG or PNG by ``dot`` when it is installed.

In: .tflite bytes. Out: DOT text with one box per operator (``index op``, output shape, MACs) and
the model's inputs and outputs, edges following the tensors; :func:`write_graph` writes it or its
rendering. It needs no TensorFlow and no extra package (the browser view is ``harken view`` with
Netron). It does not lay the graph out itself: ``dot`` does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from harken._util.atomic import atomic_path, write_text_atomic
from harken.errors import ModelFileError
from harken.profile.counting import read_operators

__all__ = ["graph_dot", "write_graph"]

_RENDERED = {".svg": "svg", ".png": "png"}


def graph_dot(data: bytes, *, name: str = "model") -> str:
    """The layer graph of a .tflite as DOT text (every operator labelled ``index op``).

    Examples
    --------
    >>> "0 conv_2d" in graph_dot(open("tiny_base.tflite", "rb").read())  # doctest: +SKIP
    True
    """
    from ai_edge_litert import schema_py_generated as schema

    operators = read_operators(bytes(data))
    graph = schema.Model.GetRootAs(bytes(data), 0).Subgraphs(0)
    producer: dict[int, str] = {int(i): f"input{k}" for k, i in enumerate(graph.InputsAsNumpy())}
    lines = [f'digraph "{_quote(name)}" {{', "  rankdir=TB;",
             '  node [shape=box, style="rounded", fontname="Helvetica"];']
    for k, i in enumerate(graph.InputsAsNumpy()):
        lines.append(f'  input{k} [label="input {_shape(graph, int(i))}", shape=ellipse];')
    for op, flat in zip(operators, (graph.Operators(j) for j in range(graph.OperatorsLength()))):
        node = f"op{op.index}"
        out = op.outputs[0] if op.outputs else None
        detail = f"\\n{'x'.join(str(d) for d in out.shape)}" if out else ""
        detail += f"\\n{op.macs:,} MACs" if op.macs else ""
        lines.append(f'  {node} [label="{op.index} {_quote(op.op)}{detail}"];')
        for t in flat.InputsAsNumpy() if flat.InputsLength() else ():
            if int(t) in producer:
                lines.append(f"  {producer[int(t)]} -> {node};")
        for t in flat.OutputsAsNumpy() if flat.OutputsLength() else ():
            producer[int(t)] = node
    for k, i in enumerate(graph.OutputsAsNumpy()):
        lines.append(f'  output{k} [label="output {_shape(graph, int(i))}", shape=ellipse];')
        if int(i) in producer:
            lines.append(f"  {producer[int(i)]} -> output{k};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_graph(data: bytes, path: str | os.PathLike, *, name: str = "model") -> Path:
    """Write the graph to ``path``: DOT, or SVG/PNG (by suffix) rendered with ``dot``; returns the file written.

    Without ``dot`` an SVG/PNG request writes the DOT beside it (``path`` with ``.dot``) and returns that.

    Raises
    ------
    ModelFileError
        For a suffix other than .dot/.gv/.svg/.png, or when ``dot`` fails.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".dot", ".gv", *_RENDERED):
        raise ModelFileError(f"{path}: cannot write a graph as {suffix or 'a file without suffix'}; "
                             "use .dot, .gv, .svg or .png")
    text = graph_dot(data, name=name)
    dot = shutil.which("dot")
    if suffix in (".dot", ".gv") or dot is None:
        target = path if suffix in (".dot", ".gv") else path.with_suffix(".dot")
        write_text_atomic(target, text)
        return target
    with atomic_path(path, suffix=suffix) as tmp:
        proc = subprocess.run([dot, f"-T{_RENDERED[suffix]}", "-o", str(tmp)], input=text, text=True,
                              capture_output=True, timeout=120)  # fmt: skip
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            raise ModelFileError(f"{path}: Graphviz 'dot' could not render the graph ({last}); write .dot instead")
    return path


def _shape(graph, index: int) -> str:
    tensor = graph.Tensors(index)
    return "x".join(str(int(d)) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else "1"


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
