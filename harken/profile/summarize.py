"""Model summaries: the layer table, parameter/MAC/op totals and the embedded settings, as text.

In: a Keras model, .tflite bytes, or a spec name / file (``.py``, ``.keras``, ``.tflite``,
``.harken.zip``). Out: rows (dataclasses) and the printed form of the seeds' summaries
(``| Index | OpCode | Input(s) | Output(s) | Config |`` for a .tflite, then ``Total MACs``,
``Total OPs`` and every ``SL_PARAMSv1`` setting).

Counting rules for a .tflite (batch 1): MACs are kernel multiplications: ``conv_2d`` output
elements x kernel height x width x input channels, ``depthwise_conv_2d`` output elements x kernel
height x width, ``fully_connected`` output x input features. OPs follow the seeds' profiler (574.5k for
the small CNN): 2 x MACs plus one per output element for the bias and two more for a fused
activation, output x window for pooling, 5 per softmax element, one per output element for other
element-wise ops, 0 for reshapes. Reading a
.tflite needs no TensorFlow.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harken.errors import ModelFileError

_NO_COMPUTE = {"reshape", "squeeze", "expand_dims", "quantize", "dequantize"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TensorInfo:
    """A tensor as the table shows it: shape without the batch axis (1-D shapes kept) and dtype."""

    shape: tuple[int, ...]
    dtype: str

    def __str__(self) -> str:
        dims = self.shape[1:] if len(self.shape) > 1 else self.shape
        return f"{'x'.join(str(d) for d in dims) or '1'} ({self.dtype})"


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
    layers: list[TfliteLayer]
    params: dict[str, Any] = field(default_factory=dict)
    size_bytes: int = 0

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def ops(self) -> int:
        return sum(layer.ops for layer in self.layers)


def tflite_summary(tflite: bytes | str | os.PathLike) -> TfliteSummary:
    """Read the operator table, totals and embedded settings of a .tflite model.

    Examples
    --------
    >>> tflite_summary("keyword_spotting_on_off.tflite").macs  # doctest: +SKIP
    278144
    """
    from ai_edge_litert import schema_py_generated as schema

    from harken.export.tflite import read_params
    from harken.export.tflite.metadata import load_model_bytes

    data, source = load_model_bytes(tflite if isinstance(tflite, (bytes, bytearray)) else Path(tflite))
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    names = {v: k.lower() for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    types = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    graph = model.subgraphs[0]
    layers = []
    for index, op in enumerate(graph.operators or []):
        code = model.operatorCodes[op.opcodeIndex]
        name = names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "custom")
        if name == "custom" and code.customCode:
            name = code.customCode.decode() if isinstance(code.customCode, bytes) else str(code.customCode)

        def info(i: int) -> TensorInfo:
            t = graph.tensors[i]
            return TensorInfo(shape=tuple(int(d) for d in (t.shape if t.shape is not None else ())),
                              dtype=types.get(t.type, "?"))

        inputs = tuple(info(i) for i in (op.inputs if op.inputs is not None else ()) if i >= 0)
        outputs = tuple(info(i) for i in (op.outputs if op.outputs is not None else ()) if i >= 0)
        options, activation = _options(name, op.builtinOptions)
        macs, ops = _count(name, inputs, outputs, op.builtinOptions, activation)
        layers.append(TfliteLayer(index=index, op=name, inputs=inputs, outputs=outputs, options=options,
                                  macs=macs, ops=ops))
    return TfliteSummary(layers=layers, params=read_params(data), size_bytes=len(data))


def _activation_name(value: int) -> str:
    from ai_edge_litert import schema_py_generated as schema

    names = {v: k.lower() for k, v in vars(schema.ActivationFunctionType).items() if not k.startswith("_")}
    return names.get(value, str(value))


def _options(name: str, options) -> tuple[str, str | None]:
    """(options text, fused activation or None) in the seeds' wording."""
    if options is None:
        return "", None
    activation = _activation_name(options.fusedActivationFunction) if hasattr(options, "fusedActivationFunction") \
        else None
    padding = {0: "same", 1: "valid"}.get(getattr(options, "padding", -1), "")
    if name == "conv_2d":
        return f"Padding:{padding} stride:{options.strideW}x{options.strideH} activation:{activation}", activation
    if name == "depthwise_conv_2d":
        return (f"Multiplier:{options.depthMultiplier} padding:{padding} stride:{options.strideW}x{options.strideH} "
                f"activation:{activation}"), activation
    if name in ("max_pool_2d", "average_pool_2d"):
        return (f"Padding:{padding} stride:{options.strideW}x{options.strideH} "
                f"filter:{options.filterWidth}x{options.filterHeight} activation:{activation}"), activation
    if activation is not None:
        return f"Activation:{activation}", activation
    if name == "softmax":
        return f"Beta:{options.beta:g}", None
    return "", None


def _elements(t: TensorInfo) -> int:
    return int(np.prod(t.shape)) if t.shape else 1


def _count(name: str, inputs, outputs, options, activation) -> tuple[int, int]:
    out = _elements(outputs[0]) if outputs else 0
    act = 2 * out if activation not in (None, "none") else 0
    if name == "conv_2d":
        _, kh, kw, cin = inputs[1].shape
        macs = out * kh * kw * cin
        return macs, 2 * macs + out + act
    if name == "depthwise_conv_2d":
        _, kh, kw, _ = inputs[1].shape
        macs = out * kh * kw
        return macs, 2 * macs + out + act
    if name == "fully_connected":
        macs = out * inputs[1].shape[-1]
        return macs, 2 * macs + out + act
    if name in ("max_pool_2d", "average_pool_2d"):
        return 0, out * options.filterWidth * options.filterHeight
    if name == "softmax":
        return 0, 5 * out
    if name in _NO_COMPUTE:
        return 0, 0
    return 0, out + act


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
    text = _table(header, rows)
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
    text = _table(("Layer", "Type", "Output shape", "Param #"), [(n, k, s, f"{p:,}") for n, k, s, p in rows])
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
        return format_tflite_summary(tflite_summary(_tflite_from_archive(path)))
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
        from harken.train.build import build_untrained_model

        model = build_untrained_model(spec)
    return format_keras_summary(model, spec.model_params())


def build_untrained_tflite(spec) -> bytes:
    """An int8 .tflite of the spec's untrained model (calibrated on random int8 spectrograms)."""
    from harken.train.build import build_untrained_model
    from harken.export.quantize import convert_int8, embed_params

    model = build_untrained_model(spec)
    rng = np.random.default_rng(spec.seed)
    samples = rng.integers(-128, 128, size=(8, *spec.input_shape)).astype(np.float32)
    return embed_params(convert_int8(model, samples), spec)


def _tflite_from_archive(path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".tflite") and not n.endswith(".float32.tflite")]
            if not names:
                raise ModelFileError(f"{path}: the archive holds no int8 .tflite model")
            return archive.read(names[0])
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{path}: cannot read the archive ({exc}); re-run 'harken train'") from None


def _k(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1e6:.3f} M"
    return f"{value / 1e3:.3f} k"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    return [rule, line(header), rule, *(line(r) for r in rows), rule]
