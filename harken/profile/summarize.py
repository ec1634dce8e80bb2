"""Model summaries: the layer table, parameter/MAC/op totals and the embedded settings, as text.

In: a Keras model, .tflite bytes, or a spec name / file (``.py``, ``.keras``, ``.tflite``,
``.harken.zip``). Out: rows (dataclasses) and the printed form of the seeds' summaries
(``| Index | OpCode | Input(s) | Output(s) | Config |`` for a .tflite, then ``Total MACs``,
``Total OPs`` and every ``SL_PARAMSv1`` setting).

MACs and OPs of a .tflite come from :mod:`harken.profile.counting` (574,488 OPs for the seeds' small
CNN, which the seeds' profiler printed as 574.5k), MACs of a Keras model from :mod:`harken.models.macs`.
Reading a .tflite needs no TensorFlow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harken.profile.counting import TensorInfo, read_operators
from harken.profile.source import tflite_from_archive

__all__ = ["TensorInfo", "TfliteLayer", "TfliteSummary", "format_keras_summary", "format_tflite_summary",
           "options_text", "summarize", "text_table", "tflite_summary"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TfliteLayer:
    """One operator of a .tflite: index, op name, inputs, outputs, options text, MACs and OPs."""

    index: int
    op: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    options: str
    macs: int
    ops: int


@dataclass(slots=True, kw_only=True)
class TfliteSummary:
    """A .tflite's operators, embedded settings and file size."""

    layers: list[TfliteLayer]
    params: dict[str, Any] = field(default_factory=dict)
    size_bytes: int = 0

    @property
    def macs(self) -> int:
        """MACs of one inference."""
        return sum(layer.macs for layer in self.layers)

    @property
    def ops(self) -> int:
        """OPs of one inference."""
        return sum(layer.ops for layer in self.layers)


def tflite_summary(tflite: bytes | str | os.PathLike) -> TfliteSummary:
    """Read the operator table, totals and embedded settings of a .tflite model.

    Examples
    --------
    >>> tflite_summary("keyword_spotting_on_off.tflite").macs  # doctest: +SKIP
    278144
    """
    from harken.export.tflite.metadata import damaged_model_errors, load_model_bytes
    from harken.export.tflite.params import read_params

    data, source = load_model_bytes(tflite if isinstance(tflite, (bytes, bytearray)) else Path(tflite))
    with damaged_model_errors(source, "the operator table of the .tflite model"):  # shapes that make no sense
        layers = [TfliteLayer(index=op.index, op=op.op, inputs=op.inputs, outputs=op.outputs,
                              options=options_text(op.op, op.options, op.activation), macs=op.macs, ops=op.ops)
                  for op in read_operators(data, source=source)]  # fmt: skip
    return TfliteSummary(layers=layers, params=read_params(data, source=source), size_bytes=len(data))


def options_text(name: str, options: Any, activation: str | None) -> str:
    """The options text of an operator in the seeds' wording."""
    if options is None:
        return ""
    padding = {0: "same", 1: "valid"}.get(getattr(options, "padding", -1), "")
    if name == "conv_2d":
        return f"Padding:{padding} stride:{options.strideW}x{options.strideH} activation:{activation}"
    if name == "depthwise_conv_2d":
        return (f"Multiplier:{options.depthMultiplier} padding:{padding} stride:{options.strideW}x{options.strideH} "
                f"activation:{activation}")
    if name in ("max_pool_2d", "average_pool_2d"):
        return (f"Padding:{padding} stride:{options.strideW}x{options.strideH} "
                f"filter:{options.filterWidth}x{options.filterHeight} activation:{activation}")
    if activation is not None:
        return f"Activation:{activation}"
    if name == "softmax":
        return f"Beta:{options.beta:g}"
    return ""


def format_tflite_summary(summary: TfliteSummary) -> str:
    """The seeds' .tflite table, totals and embedded settings as text."""
    header = ("Index", "OpCode", "Input(s)", "Output(s)", "Config")
    rows = []
    for layer in summary.layers:
        lines = max(len(layer.inputs), len(layer.outputs), 1)
        for i in range(lines):
            rows.append((str(layer.index) if i == 0 else "", layer.op if i == 0 else "",
                         str(layer.inputs[i]) if i < len(layer.inputs) else "",
                         str(layer.outputs[i]) if i < len(layer.outputs) else "", layer.options if i == 0 else ""))
    text = text_table(header, rows)
    text += [f"Total MACs: {_k(summary.macs)}", f"Total OPs: {_k(summary.ops)}"]
    text += format_params(summary.params)
    text.append(f".tflite file size: {summary.size_bytes / 1000:.1f}kB")
    return "\n".join(text)


def format_params(params: dict[str, Any]) -> list[str]:
    """``key: value`` lines of embedded settings (``Name``/``Version``/``Description``/``Classes`` first)."""
    lines = []
    titles = {"name": "Name", "version": "Version", "description": "Description", "classes": "Classes"}
    for key, value in params.items():
        if key == "classes":
            value = ", ".join(value)
        lines.append(f"{titles.get(key, key)}: {value}")
    return lines


def keras_rows(model) -> list[tuple[str, str, str, int]]:
    """(layer name, class, output shape, parameters) of each layer (nested models flattened)."""
    import keras

    def walk(m):
        for layer in m.layers:
            if isinstance(layer, keras.Model):
                yield from walk(layer)
            else:
                yield layer

    rows = []
    for layer in walk(model):
        try:
            shape = str(tuple(layer.output.shape))
        except (AttributeError, ValueError):
            shape = "?"
        rows.append((layer.name, type(layer).__name__, shape, int(layer.count_params())))
    return rows


def format_keras_summary(model, params: dict[str, Any] | None = None) -> str:
    """The Keras layer table, parameter totals, MACs and (optionally) the settings to be embedded."""
    from harken.models.macs import count_macs

    rows = keras_rows(model)
    text = text_table(("Layer", "Type", "Output shape", "Param #"), [(n, k, s, f"{p:,}") for n, k, s, p in rows])
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    total = int(model.count_params())
    macs = count_macs(model)
    text += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
             f"Non-trainable params: {total - trainable:,}", f"Total MACs: {_k(macs)} ({macs:,})"]
    if params:
        text += format_params(params)
    return "\n".join(text)


def summarize(target: str | os.PathLike, *, tflite: bool = False) -> str:
    """Summary text of a spec NAME (``-test`` too) or of a ``.py``/``.keras``/``.tflite``/``.harken.zip`` file.

    For a spec, the trained model of its work directory is used when there is one; otherwise the
    model is built from the spec (untrained; with ``tflite`` it is quantized on random int8
    spectrograms just to show the operators).
    """
    text = str(target)
    path = Path(text)
    if path.suffix == ".tflite":
        return format_tflite_summary(tflite_summary(path))
    if text.endswith(".zip"):
        return format_tflite_summary(tflite_summary(tflite_from_archive(path)))
    if path.suffix == ".keras":
        from harken.models.keras_file import load_keras_model

        return format_keras_summary(load_keras_model(path))
    from harken.spec.loader import find_spec

    spec = find_spec(text)
    work = spec.work_dir()
    if tflite:
        trained = work / f"{spec.name}.tflite"
        if trained.is_file():
            return format_tflite_summary(tflite_summary(trained))
        return format_tflite_summary(tflite_summary(build_untrained_tflite(spec))) + "\n(untrained: built from the spec)"
    keras_path = work / f"{spec.name}.keras"
    if keras_path.is_file():
        from harken.models.keras_file import load_keras_model

        model = load_keras_model(keras_path)
    else:
        from harken.training.build import build_untrained_model

        model = build_untrained_model(spec)
    return format_keras_summary(model, spec.model_params())


def build_untrained_tflite(spec) -> bytes:
    """An int8 .tflite of the spec's untrained model (calibrated on random int8 spectrograms)."""
    from harken.training.build import build_untrained_model
    from harken.export.quantize import convert_int8, embed_params

    model = build_untrained_model(spec)
    rng = np.random.default_rng(spec.seed)
    samples = rng.integers(-128, 128, size=(8, *spec.input_shape)).astype(np.float32)
    return embed_params(convert_int8(model, samples), spec)


def _k(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1e6:.3f} M"
    return f"{value / 1e3:.3f} k"


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """The lines of a ``| a | b |`` table with ``+---+`` rules (the seeds' layout)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    return [rule, line(header), rule, *(line(r) for r in rows), rule]
