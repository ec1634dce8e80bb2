"""update-params checks what it writes and refreshes the embedded hash (issue 26, item 5)."""

from __future__ import annotations

import shutil

import pytest

from harken.errors import SettingsError
from harken.export.tflite import params_hash, read_params, read_params_typed
from harken.export.tflite.validate import check_detection_params, check_updates, known_keys, update_model_params
from tests.reliability import corpus
from tests.reliability.corpus import run_cli


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "m.tflite"
    shutil.copyfile(corpus.MODEL, path)
    return path


def _stored_hash_is_fresh(path) -> bool:
    typed = read_params_typed(path)
    return typed["hash"].value == params_hash(path, typed)


def test_update_refreshes_the_embedded_hash(model):
    before = read_params(model)["hash"]
    update_model_params(model, {"suppression_ms": 500})
    assert read_params(model)["hash"] != before
    assert _stored_hash_is_fresh(model)


def test_update_keeps_the_stored_type_of_a_float_setting_given_a_whole_number(model):
    update_model_params(model, {"fe.filterbank_upper_band_limit": 7000, "suppression_ms": 500})
    typed = read_params_typed(model)
    assert typed["fe.filterbank_upper_band_limit"] == ("f32", 7000.0)
    assert typed["suppression_ms"] == ("u16", 500)


def test_update_with_force_stores_an_unknown_key(model):
    update_model_params(model, {"my_board_option": 3}, force=True)
    assert read_params(model)["my_board_option"] == 3 and _stored_hash_is_fresh(model)


def test_update_command_prints_the_new_hash(model, monkeypatch, capsys):
    code, out, err = run_cli(["update-params", str(model), "suppression_ms=500"], monkeypatch, capsys)
    assert code == 0, err
    assert out.splitlines() == ["suppression_ms: 500", f"hash: {read_params(model)['hash']}"]


def test_calibrate_refreshes_the_hash(model, tmp_path):
    from harken.evaluation.calibrate import write_thresholds

    write_thresholds(model, [200, 210, 255], backup=False)
    assert read_params(model)["detection_threshold_list"] == [200, 210, 255] and _stored_hash_is_fresh(model)


@pytest.mark.parametrize(("updates", "message"), [
    ({"detection_threshold": 256}, "detection_threshold=256"),
    ({"detection_threshold_list": [200, 200]}, r"\[200, 200\].*one per class|2 values for 3 classes"),
    ({"detection_threshold_list": [1.5, 2, 3]}, "whole numbers 0..255"),
    ({"classes": ["a", "a", "b"]}, "repeats a name"),
    ({"minimum_count": -1}, "minimum_count=-1"),
    ({"latency_ms": "soon"}, "latency_ms='soon'"),
    ({"volume_gain": float("inf")}, "volume_gain=inf"),
    ({"fe.window_step_ms": 40}, "fe.window_step_ms=40 is longer than fe.window_size_ms=30"),
    ({"verbose_model_output_logs": 1}, "true or false"),
    ({"name": 3}, "name=3: use text"),
])  # fmt: skip
def test_check_updates_rejects_values_the_device_cannot_use(updates, message):
    current = {**read_params(corpus.MODEL)}
    with pytest.raises(SettingsError, match=message):
        check_updates(current, updates, num_outputs=3, source="m.tflite")


def test_new_classes_must_match_the_stored_threshold_list():
    current = {"classes": ["on", "off", "_unknown_"], "detection_threshold_list": [200, 200, 255]}
    with pytest.raises(SettingsError, match="3 values for 2 classes"):
        check_updates(current, {"classes": ["on", "_unknown_"]}, num_outputs=None, source="m.tflite")


def test_detection_rules_accept_the_firmware_defaults():
    check_detection_params({"average_window_duration_ms": 1000, "detection_threshold": 160, "suppression_ms": 750,
                            "minimum_count": 3, "volume_gain": 0.0, "latency_ms": 100}, num_classes=4)  # fmt: skip


def test_every_key_a_spec_embeds_is_known():
    from harken.spec.loader import find_spec

    assert set(find_spec("keyword_spotting_on_off").model_params()) <= set(known_keys())


@pytest.mark.parametrize("settings", [{"minimum_count": 51}, {"average_window_duration_ms": 0},
                                      {"volume_gain": float("nan")}])  # fmt: skip
def test_a_spec_cannot_embed_detection_settings_update_params_would_refuse(settings):
    from harken.spec.deployment import DetectionSettings

    key = next(iter(settings))
    with pytest.raises(SettingsError, match=f"detection: {key}="):
        DetectionSettings(**settings)
