"""Loading a model for the device loop: a .tflite, an archive, and the errors for anything else."""

from __future__ import annotations

import zipfile

import pytest

from harken.errors import HarkenError, ModelFileError
from harken.streaming.model import load_stream_model, volume_gain_of
from tests.conftest import DATA

TINY = DATA / "params" / "tiny_with_params.tflite"


def test_an_archive_gives_its_int8_model(tmp_path):
    archive = tmp_path / "tiny.harken.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(TINY, "tiny.tflite")
        z.write(DATA / "params" / "tiny_base.tflite", "tiny.float32.tflite")  # not the int8 model: skipped
        z.writestr("spec.json", "{}")
    model = load_stream_model(archive)
    assert model.classes == ("on", "off", "_unknown_") and model.path.endswith("tiny.harken.zip:tiny.tflite")


def test_an_archive_without_an_int8_model_is_refused(tmp_path):
    archive = tmp_path / "empty.harken.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("spec.json", "{}")
    with pytest.raises(ModelFileError, match="empty.harken.zip: expected one int8 .tflite"):
        load_stream_model(archive)


def test_a_model_without_embedded_settings_is_refused():
    with pytest.raises(ModelFileError, match="tiny_base.tflite: no embedded fe"):
        load_stream_model(DATA / "params" / "tiny_base.tflite")


def test_a_missing_model_file_is_named(tmp_path):
    with pytest.raises(ModelFileError, match="nothing.tflite: no such model file"):
        load_stream_model(tmp_path / "nothing.tflite")


def test_an_unknown_model_name_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(HarkenError, match="no_such_model"):
        load_stream_model("no_such_model")


def test_volume_gain_is_the_integer_part_of_the_stored_float():
    assert [volume_gain_of(v, "m") for v in (0.0, 1.0, 2.0, 2.9, 3)] == [0, 1, 2, 2, 3]
    with pytest.raises(ModelFileError, match="m: volume_gain=-1"):
        volume_gain_of(-1, "m")
