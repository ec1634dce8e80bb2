"""calibrate's backup: written atomically, so a full disk never leaves a truncated "original" behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from harken.errors import ModelFileError
from harken.evaluation.calibrate import write_thresholds
from harken.export.tflite.params import read_params
from tests._util.fsize import file_size_limit

MODEL = Path(__file__).parents[1] / "data" / "params" / "tiny_with_params.tflite"


def test_a_full_disk_leaves_no_backup_and_the_model_unchanged_then_the_backup_is_the_original(tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(MODEL.read_bytes())
    with pytest.raises(ModelFileError, match=r"m\.tflite\.bak: cannot write the backup .*the model is unchanged"):
        with file_size_limit(4096):  # the disk fills after 4 KiB of the 18 KB backup
            write_thresholds(model, [200, 210, 255])
    assert os.listdir(tmp_path) == ["m.tflite"] and model.read_bytes() == MODEL.read_bytes()
    write_thresholds(model, [200, 210, 255])  # with room again: the backup is the whole original
    assert (tmp_path / "m.tflite.bak").read_bytes() == MODEL.read_bytes()
    assert read_params(model)["detection_threshold_list"] == [200, 210, 255]


def test_the_backup_and_the_rewritten_model_keep_the_model_mode(tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(MODEL.read_bytes())
    model.chmod(0o644)
    old = os.umask(0o077)
    try:
        write_thresholds(model, [1, 2, 255])
    finally:
        os.umask(old)
    assert stat.S_IMODE(model.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "m.tflite.bak").stat().st_mode) == 0o644
