"""``harken export``: the files it writes, checked against the model (no C++ build here).

The C array equals the .tflite byte for byte, the op resolver registers exactly the model's ops, the
settings header and the vendor parameters header carry the embedded settings (parsed back and
compared), and bad input is a one-line error that leaves nothing half-written.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harken.cli.export import register
from harken.errors import ModelFileError, SettingsError
from harken.export.firmware.generate import export_firmware
from harken.export.tflite import read_params
from harken.profile.counting import read_operators
from tests.conftest import DATA

QUICKSTART = DATA / "firmware" / "quickstart.tflite"
SMALL_CNN = DATA / "firmware" / "small_cnn.tflite"
VENDOR = DATA / "params" / "tiny_with_params.tflite"  # made by the reference toolkit
NO_PARAMS = DATA / "params" / "tiny_base.tflite"


def _defines(text: str) -> dict[str, str]:
    return dict(re.findall(r"^#define (\w+) (.+?)(?:\s+//.*)?$", text, flags=re.M))


def _value(literal: str):
    """A C literal of the headers back in Python (numbers, strings, brace lists, 1/0 and true/false)."""
    literal = literal.strip()
    if literal.startswith("{"):
        return [_value(v) for v in re.findall(r'"(?:[^"\\]|\\.)*"|[^,{}\s]+', literal)]
    if literal.startswith('"'):
        return json.loads(literal)
    if literal in ("true", "false"):
        return literal == "true"
    if literal.startswith("0x"):
        return int(literal, 16)
    if literal.endswith("f"):
        return struct.unpack("f", struct.pack("f", float(literal[:-1])))[0]
    if re.fullmatch(r"-?\d+(U?L{0,2})", literal):
        return int(literal.rstrip("UL"))
    return float(literal)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("export")
    return {name: export_firmware(path, root / name, style="gecko").out
            for name, path in (("quickstart", QUICKSTART), ("small_cnn", SMALL_CNN), ("vendor", VENDOR))}


@pytest.mark.parametrize("which", ["quickstart", "small_cnn", "vendor"])
def test_c_array_is_the_tflite_byte_for_byte(exported, which):
    out = exported[which]
    model = {"quickstart": QUICKSTART, "small_cnn": SMALL_CNN, "vendor": VENDOR}[which].read_bytes()
    name = json.loads((out / "manifest.json").read_text())["name"]
    cc = (out / f"{name}_model_data.cc").read_text()
    assert f"alignas(16) const unsigned char g_{name}_model_data[]" in cc
    body = cc[cc.index("= {"):cc.index("};")]
    assert bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", body)) == model
    assert f"g_{name}_model_data_len = {len(model)};" in cc
    gecko = (out / "sl_tflite_micro_model.c").read_text()
    gecko_body = gecko[gecko.index("= {"):gecko.index("};")]
    assert bytes(int(h, 16) for h in re.findall(r"0x([0-9a-f]{2})", gecko_body)) == model
    assert f"sl_tflite_model_len = {len(model)}UL;" in gecko


@pytest.mark.parametrize("which", ["quickstart", "small_cnn"])
def test_op_resolver_registers_exactly_the_models_ops(exported, which):
    out = exported[which]
    name = json.loads((out / "manifest.json").read_text())["name"]
    ops = {op.op for op in read_operators({"quickstart": QUICKSTART, "small_cnn": SMALL_CNN}[which])}
    header = (out / f"{name}_op_resolver.h").read_text()
    registered = re.findall(r"resolver\.(Add\w+)\(\) != kTfLiteOk\) return kTfLiteError;  // (\w+)", header)
    assert {op for _, op in registered} == ops and len(registered) == len(ops)
    assert f"MicroMutableOpResolver<{len(ops)}>" in header
    gecko = (out / "sl_tflite_micro_opcode_resolver.h").read_text()
    assert re.findall(r"opcode_resolver\.(Add\w+)\(\);", gecko) == [method for method, _ in registered]
    expected = {"conv_2d": "AddConv2D", "depthwise_conv_2d": "AddDepthwiseConv2D", "fully_connected": "AddFullyConnected",
                "softmax": "AddSoftmax", "reshape": "AddReshape", "max_pool_2d": "AddMaxPool2D",
                "average_pool_2d": "AddAveragePool2D", "add": "AddAdd"}  # fmt: skip
    assert all(expected[op] == method for method, op in registered)


@pytest.mark.parametrize("which", ["quickstart", "small_cnn", "vendor"])
def test_settings_header_matches_the_embedded_metadata(exported, which):
    out = exported[which]
    params = read_params({"quickstart": QUICKSTART, "small_cnn": SMALL_CNN, "vendor": VENDOR}[which])
    manifest = json.loads((out / "manifest.json").read_text())
    defines = _defines((out / f"{manifest['name']}_settings.h").read_text())
    fe = {k: v for k, v in params.items() if k.startswith("fe.")}
    for key, value in fe.items():
        assert _value(defines[f"HARKEN_FE_{key[3:].upper()}"]) == value, key
    assert {k[10:].lower() for k in defines if k.startswith("HARKEN_FE_")} >= {k[3:] for k in fe}
    assert _value(defines["HARKEN_CLASS_LABELS"]) == params["classes"]
    assert _value(defines["HARKEN_NUM_CLASSES"]) == len(params["classes"])
    if "detection_threshold_list" in params:
        assert _value(defines["HARKEN_DETECTION_THRESHOLD_LIST"]) == params["detection_threshold_list"]
    else:
        assert _value(defines["HARKEN_DETECTION_THRESHOLD"]) == params["detection_threshold"]
        assert "HARKEN_DETECTION_THRESHOLD_LIST" not in defines
    for key in ("average_window_duration_ms", "minimum_count", "suppression_ms", "latency_ms"):
        assert _value(defines[f"HARKEN_{key.upper()}"]) == params[key], key
    frames, channels = _value(defines["HARKEN_WINDOW_FRAMES"]), _value(defines["HARKEN_WINDOW_CHANNELS"])
    assert channels == params["fe.filterbank_n_channels"]
    assert frames == (params["fe.sample_length_ms"] - params["fe.window_size_ms"]) // params["fe.window_step_ms"] + 1
    measured, margin = _value(defines["HARKEN_TENSOR_ARENA_MEASURED_BYTES"]), _value(defines["HARKEN_TENSOR_ARENA_MARGIN_BYTES"])
    size = _value(defines["HARKEN_TENSOR_ARENA_SIZE"])
    assert size % 16 == 0 and measured + margin <= size < measured + margin + 16 and margin >= 1024
    assert manifest["arena"] == {"measured_bytes": measured, "margin_bytes": margin, "size_bytes": size,
                                 "measured_with": manifest["arena"]["measured_with"]}  # fmt: skip


@pytest.mark.parametrize("which", ["quickstart", "vendor"])
def test_gecko_parameters_header_has_one_macro_per_embedded_setting(exported, which):
    params = read_params({"quickstart": QUICKSTART, "vendor": VENDOR}[which])
    defines = _defines((exported[which] / "sl_tflite_micro_model_parameters.h").read_text())
    expected = {"SL_TFLITE_MODEL_" + re.sub(r"\W", "_", k).upper(): v for k, v in params.items()}
    assert set(defines) == set(expected)
    for macro, value in expected.items():
        if isinstance(value, bytes):
            value = list(value)
        assert _value(defines[macro]) == (list(value) if isinstance(value, (list, tuple)) else value), macro
    assert list(defines) == sorted(defines)  # sorted by key, as the vendor converter writes them


def test_manifest_names_the_model_and_every_file(exported):
    import hashlib

    out = exported["small_cnn"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tflite_sha256"] == hashlib.sha256(SMALL_CNN.read_bytes()).hexdigest()
    assert manifest["classes"] == ["on", "off", "_unknown_", "_silence_"]
    assert manifest["thresholds"] == [160] * 4
    assert manifest["frontend"]["fe.sample_rate_hz"] == 8000 and manifest["frontend"]["fe.dc_notch_filter_enable"] is False
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert manifest["files"] == on_disk


def _cli(*args: str):
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # keep "export" a sub-command
    return CliRunner().invoke(app, ["export", *args], catch_exceptions=False)


def test_cli_writes_the_folder_and_says_how_to_build(tmp_path):
    result = _cli(str(QUICKSTART), "--out", str(tmp_path / "fw"))
    assert result.exit_code == 0, result.output
    assert "on_off_offline" in result.output and "FETCHCONTENT_SOURCE_DIR_TFLITE_MICRO" in result.output
    assert (tmp_path / "fw" / "main.cc").is_file() and (tmp_path / "fw" / "CMakeLists.txt").is_file()
    assert not (tmp_path / "fw" / "sl_tflite_micro_model.c").exists()  # only with --style gecko


def test_non_empty_folder_needs_force_and_force_replaces_it(tmp_path):
    out = tmp_path / "fw"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(SettingsError, match=r"fw: the folder is not empty; pass --force"):
        export_firmware(QUICKSTART, out)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
    export_firmware(QUICKSTART, out, force=True)
    assert not (out / "mine.txt").exists() and (out / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fw"]  # no temporary folders left


def test_model_without_embedded_settings_is_refused_and_nothing_written(tmp_path):
    with pytest.raises(ModelFileError, match=r"tiny_base.tflite: the model has no embedded settings") as info:
        export_firmware(NO_PARAMS, tmp_path / "fw")
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_unknown_style_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="style='stm32'"):
        export_firmware(QUICKSTART, tmp_path / "fw", style="stm32")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_float_model_is_refused(tmp_path):
    import keras

    from harken.export.quantize import convert_float
    from harken.export.tflite import write_params

    model = keras.Sequential([keras.Input((49, 32, 1)), keras.layers.Flatten(), keras.layers.Dense(4)])
    data = write_params(convert_float(model), read_params(SMALL_CNN))
    path = tmp_path / "float.tflite"
    path.write_bytes(data)
    with pytest.raises(ModelFileError, match=r"float.tflite: a float model \(float32 input\)"):
        export_firmware(path, tmp_path / "fw")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["float.tflite"]


def test_export_never_imports_tensorflow(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from harken.cli.main import main; sys.argv = ['harken', 'export', sys.argv[1], '--out', "
            "sys.argv[2]]\ntry:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras'}))")
    proc = subprocess.run([sys.executable, "-c", code, str(QUICKSTART), str(tmp_path / "fw")], capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "fw" / "manifest.json").is_file()


def test_a_spec_name_and_an_archive_export_the_same_model(tmp_path, monkeypatch):
    import shutil
    import zipfile

    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    work = tmp_path / "home" / "models" / "on_off_offline"
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(QUICKSTART, work / "on_off_offline.tflite")
    archive = tmp_path / "on_off_offline.harken.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(QUICKSTART, "on_off_offline.tflite")
    by_name = export_firmware("on_off_offline", tmp_path / "by_name")
    by_archive = export_firmware(archive, tmp_path / "by_archive")
    for result in (by_name, by_archive):
        manifest = json.loads((result.out / "manifest.json").read_text())
        assert manifest["tflite_sha256"] == json.loads(
            export_firmware(QUICKSTART, tmp_path / f"direct_{result.out.name}").out.joinpath("manifest.json").read_text()
        )["tflite_sha256"]
    assert (by_name.out / "on_off_offline_model_data.cc").read_text().split("\n", 1)[1] == (
        by_archive.out / "on_off_offline_model_data.cc").read_text().split("\n", 1)[1]


def test_untrained_spec_name_is_a_one_line_error(tmp_path):
    with pytest.raises(ModelFileError, match=r"spec 'on_off_offline' has no trained int8 model; run 'harken train"):
        export_firmware("on_off_offline", tmp_path / "fw")


def test_settings_that_can_never_fire_at_the_default_hop_are_warned_about(tmp_path, caplog):
    import shutil

    from harken.export.tflite import update_params

    model = tmp_path / "never.tflite"
    shutil.copyfile(QUICKSTART, model)
    update_params(model, {"average_window_duration_ms": 10, "minimum_count": 3})  # 1 result at its ~30 ms hop
    with caplog.at_level("WARNING", logger="harken.export.firmware.model"):
        export_firmware(model, tmp_path / "fw")
    assert "minimum_count 3 is never met" in caplog.text and "will detect nothing" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="harken.export.firmware.model"):
        export_firmware(QUICKSTART, tmp_path / "fw2")
    assert "never met" not in caplog.text
