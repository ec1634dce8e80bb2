"""SL_PARAMSv1 model parameters: the reference fixture, round trips, updates, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from harken.errors import ModelFileError, SettingsError
from harken.export.tflite.dictionary import TypedValue, decode_dictionary, encode_dictionary, infer_type
from harken.export.tflite.metadata import metadata_names
from harken.export.tflite.params import (
    params_hash,
    read_params,
    read_params_typed,
    update_params,
    write_params,
)

DATA = Path(__file__).parents[1] / "data" / "params"
REFERENCE_MODEL = DATA / "tiny_with_params.tflite"
BASE_MODEL = DATA / "tiny_base.tflite"


def expected_typed() -> dict[str, TypedValue]:
    expected = json.loads((DATA / "expected_params.json").read_text())
    result = {}
    for key, entry in expected.items():
        value = bytes.fromhex(entry["value"]) if entry["type"] == "bin" else entry["value"]
        result[key] = TypedValue(entry["type"], value)
    return result


def run_model(tflite_bytes: bytes) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=tflite_bytes)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    x = np.random.default_rng(0).integers(-128, 128, size=inp["shape"], dtype=np.int8)
    interpreter.set_tensor(inp["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


# ---- the reference fixture -------------------------------------------------------------


def test_decoding_reference_buffer_gives_expected_types_values_and_order():
    decoded = decode_dictionary((DATA / "sl_params_v1.bin").read_bytes())
    expected = expected_typed()
    assert list(decoded) == list(expected)
    assert decoded == expected


def test_reference_model_reads_to_expected_typed_values():
    assert read_params_typed(REFERENCE_MODEL) == expected_typed()


def test_read_params_gives_plain_values_with_float32_widened():
    params = read_params(REFERENCE_MODEL)
    assert params["classes"] == ["on", "off", "_unknown_"]
    assert params["fe.noise_reduction_even_smoothing"] == float(np.float32(0.025))
    assert params["extra_bytes"] == bytes.fromhex("000102030405060708090a0b0c0d0e0f00ff")


def test_encoding_reference_values_reproduces_reference_buffer_bytes():
    plain = {key: typed.value for key, typed in expected_typed().items()}
    assert encode_dictionary(plain) == (DATA / "sl_params_v1.bin").read_bytes()


def test_rewriting_reference_model_with_its_own_params_is_byte_identical():
    original = REFERENCE_MODEL.read_bytes()
    assert write_params(original, read_params_typed(original)) == original


def test_params_hash_reproduces_reference_hash():
    params = read_params_typed(REFERENCE_MODEL)
    assert params_hash(REFERENCE_MODEL, params) == params["hash"].value


def test_reading_params_does_not_import_tensorflow():
    code = (
        "import sys; from harken.export.tflite import read_params; "
        f"read_params({str(REFERENCE_MODEL)!r}); "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---- round trips and typing ------------------------------------------------------------

EVERY_TYPE = {
    "boolean": True,
    "i8": -5,
    "u8": 200,
    "i16": -1000,
    "u16": 60000,
    "i32": -100000,
    "u32": 4_000_000_000,
    "i64": -(2**40),
    "u64": 2**63,
    "f32": 0.5,
    "f64": -2.5,
    "str": "hello, harken",
    "str_list": ["alpha", "beta"],
    "int32_list": [1, -2, 300000],
    "float_list": [0.5, -1.25, 3.0],
    "bin": b"\x00\x01\xff",
}


@pytest.mark.parametrize("type_name", sorted(EVERY_TYPE))
def test_plain_value_is_stored_as_smallest_fitting_type(type_name):
    assert infer_type(EVERY_TYPE[type_name]).type_name == type_name


def test_every_value_type_round_trips_through_model_metadata():
    model = write_params(BASE_MODEL, EVERY_TYPE)
    assert read_params_typed(model) == {name: (name, value) for name, value in EVERY_TYPE.items()}


def test_explicit_types_are_kept_through_model_metadata():
    params = {"runtime_memory_size": TypedValue("u32", 300), "gain": TypedValue("f32", 0.0)}
    assert read_params_typed(write_params(BASE_MODEL, params)) == params


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(0, "u8"), (255, "u8"), (256, "u16"), (-128, "i8"), (-129, "i16"), (-(2**31), "i32"),
     (-(2**31) - 1, "i64"), (2**32, "u64"), (0.0, "f64"), (1e-40, "f64"), (1e39, "f64"),
     (7500.0, "f32"), ([], "str_list"), (np.int16(3), "u8"), (np.float32(0.5), "f32")],
)  # fmt: skip
def test_type_follows_value_range(value, type_name):
    assert infer_type(value).type_name == type_name


def test_empty_and_default_values_round_trip():
    params = {"s": "", "zero": 0, "false": False, "nothing": [], "empty": b"", "fz": 0.0}
    assert read_params(write_params(BASE_MODEL, params)) == params


def test_params_entry_is_added_after_converter_metadata():
    model = write_params(BASE_MODEL, {"name": "m"})
    assert metadata_names(model) == metadata_names(BASE_MODEL) + ["SL_PARAMSv1"]


def test_model_without_params_reads_as_empty():
    assert read_params(BASE_MODEL) == {}


# ---- updates -------------------------------------------------------------------------


def test_update_one_key_keeps_all_others_in_place(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(REFERENCE_MODEL.read_bytes())
    update_params(path, {"runtime_memory_size": 97312})
    expected = expected_typed()
    expected["runtime_memory_size"] = TypedValue("u32", 97312)
    after = read_params_typed(path)
    assert list(after) == list(expected)
    assert after == expected


def test_update_appends_a_new_key_at_the_end(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(REFERENCE_MODEL.read_bytes())
    update_params(path, {"new_key": "x"})
    assert list(read_params(path))[-1] == "new_key"


def test_update_keeps_model_runnable_with_same_output(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(REFERENCE_MODEL.read_bytes())
    before = run_model(path.read_bytes())
    update_params(path, {"name": "renamed", "detection_threshold_list": [200, 210, 255]})
    np.testing.assert_array_equal(run_model(path.read_bytes()), before)
    assert read_params(path)["name"] == "renamed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tflite"]  # no temp left


# ---- errors --------------------------------------------------------------------------


def test_reading_a_non_tflite_file_names_the_file(tmp_path):
    path = tmp_path / "notes.tflite"
    path.write_bytes(b"this is not a model")
    with pytest.raises(ModelFileError, match=r"notes\.tflite: not a \.tflite model"):
        read_params(path)


def test_reading_a_missing_file_names_the_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"missing\.tflite: cannot read"):
        read_params(tmp_path / "missing.tflite")


def test_mixed_list_is_rejected_with_key():
    with pytest.raises(SettingsError, match=r"'thresholds'.*int32_list"):
        encode_dictionary({"thresholds": [1, 2.5]})


def test_integer_beyond_64_bits_is_rejected():
    with pytest.raises(SettingsError, match=r"'big'.*64 bits"):
        encode_dictionary({"big": 2**64})


def test_unsupported_value_type_is_rejected():
    with pytest.raises(SettingsError, match=r"'settings'.*dict"):
        encode_dictionary({"settings": {"a": 1}})


def test_explicit_type_out_of_range_is_rejected():
    with pytest.raises(SettingsError, match=r"'n'.*cannot be stored as u8"):
        encode_dictionary({"n": TypedValue("u8", 300)})


def test_wrong_schema_version_is_rejected():
    raw = bytearray((DATA / "sl_params_v1.bin").read_bytes())
    raw[0x1B] = 2  # schema_version byte of this buffer's root table
    with pytest.raises(ModelFileError, match="schema_version is 2"):
        decode_dictionary(bytes(raw))


def test_model_with_external_buffers_cannot_be_rewritten():
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(BASE_MODEL.read_bytes(), 0))
    model.buffers[1].data = None
    model.buffers[1].offset, model.buffers[1].size = 20000, 16
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    with pytest.raises(ModelFileError, match="outside the FlatBuffer"):
        write_params(bytes(builder.Output()), {"name": "m"})


def test_params_stored_after_the_flatbuffer_are_read():
    raw = (DATA / "sl_params_v1.bin").read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(BASE_MODEL.read_bytes(), 0))
    model.buffers.append(schema.BufferT(data=None, offset=1 << 20, size=len(raw)))
    entry = schema.MetadataT()
    entry.name, entry.buffer = "SL_PARAMSv1", len(model.buffers) - 1
    model.metadata.append(entry)

    def pack() -> bytes:
        builder = flatbuffers.Builder(0)
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())

    model.buffers[-1].offset = len(pack())  # a non-zero uint64 either way: the size is stable
    packed = pack()
    assert len(packed) == model.buffers[-1].offset
    assert read_params_typed(packed + raw) == expected_typed()
