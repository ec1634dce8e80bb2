"""parse_model: a damaged .tflite is a ModelFileError naming the file, whatever part is broken."""

from __future__ import annotations

from pathlib import Path

import flatbuffers
import pytest
from ai_edge_litert import schema_py_generated as schema

from harken.errors import ModelFileError
from harken.export.tflite import read_params
from harken.export.tflite.metadata import output_size, parse_model

MODEL = Path(__file__).resolve().parents[1] / "data" / "params" / "tiny_with_params.tflite"


def _rewritten(change) -> bytes:
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(MODEL.read_bytes(), 0))
    change(model)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_the_reference_model_parses_and_has_three_outputs():
    assert len(parse_model(MODEL).subgraphs[0].operators) > 0
    assert output_size(MODEL) == 3


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: setattr(m.subgraphs[0].operators[0], "opcodeIndex", 99), "operator with code 99"),
    (lambda m: setattr(m.subgraphs[0].operators[0], "inputs", [999]), "tensor or buffer 999"),
    (lambda m: setattr(m.subgraphs[0].tensors[0], "buffer", 999), "tensor or buffer 999"),
    (lambda m: setattr(m, "subgraphs", []), "no subgraph"),
])  # fmt: skip
def test_an_index_beyond_its_list_is_named(change, message, tmp_path):
    path = tmp_path / "m.tflite"
    path.write_bytes(_rewritten(change))
    with pytest.raises(ModelFileError, match=f"{path}: .*{message}"):
        parse_model(path)


def test_a_truncated_model_is_named_damaged_with_its_file_name(tmp_path):
    path = tmp_path / "cut.tflite"
    path.write_bytes(MODEL.read_bytes()[:9000])
    with pytest.raises(ModelFileError, match=f"{path}: the .tflite model is damaged or truncated"):
        parse_model(path)
    with pytest.raises(ModelFileError, match=f"{path}: .*damaged or truncated"):
        read_params(path)


def test_bytes_are_named_by_the_source_given():
    with pytest.raises(ModelFileError, match="^my.tflite: .*damaged or truncated"):
        read_params(MODEL.read_bytes()[:9000], source="my.tflite")
