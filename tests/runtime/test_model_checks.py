"""A damaged .tflite is refused before the native interpreters see it (they abort or write out of bounds).

Each case is one of the damages random mutation found to crash LiteRT or TFLM (issue 26, item 7);
tests/reliability/test_fuzz.py runs the mutation search itself.
"""

from __future__ import annotations

from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from harken.errors import ModelFileError
from harken.runtime.runner import TfliteRunner

MODEL = Path(__file__).resolve().parents[1] / "data" / "params" / "tiny_with_params.tflite"


def _damaged(change) -> bytes:
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(MODEL.read_bytes(), 0))
    change(model.subgraphs[0])
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _set_shape(graph) -> None:
    graph.tensors[14].shape = np.array([1, 9895939], np.int32)  # TFLM read and wrote outside its arena


def _set_beta(value):
    def change(graph) -> None:
        graph.operators[6].builtinOptions.beta = value  # LiteRT aborted the process

    return change


def _unknown_options(graph) -> None:
    graph.operators[6].builtinOptionsType = 162  # beyond the schema's union: LiteRT aborted


def _bad_name(graph) -> None:
    graph.tensors[3].name = b"qconst\xff"  # LiteRT's Python raised UnicodeDecodeError


def _bad_scale(graph) -> None:
    graph.tensors[9].quantization.scale = np.array([np.inf], np.float32)


@pytest.mark.parametrize(("change", "message"), [
    (_set_shape, r"tensor 14 .* stored with shape \[1, 9895939\] but its operators give \[1, 3\]"),
    (_set_beta(-2.07e34), "option beta=-2.07e\\+34|Softmax with beta"),
    (_set_beta(-1.9e-34), "Softmax with beta=-1.9e-34"),
    (_unknown_options, "options of unknown type 162"),
    (_bad_name, "damaged or truncated .*utf-8"),
    (_bad_scale, "tensor 9 has quantization scale \\[inf\\]"),
])  # fmt: skip
def test_a_damaged_model_is_refused_before_the_interpreters_run_it(change, message):
    with pytest.raises(ModelFileError, match=f"^m.tflite: .*{message}"):
        TfliteRunner(_damaged(change), source="m.tflite")


def test_the_reference_model_passes_the_checks():
    runner = TfliteRunner(MODEL.read_bytes(), source="m.tflite")
    assert runner.num_outputs == 3
