"""update_params rewrites a model in place without changing what the path is: mode and symlinks stay."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from harken.export.tflite.params import read_params, update_params

MODEL = Path(__file__).parents[1] / "data" / "params" / "tiny_with_params.tflite"


def test_update_params_keeps_a_0644_model_0644(tmp_path):
    model = tmp_path / "m.tflite"
    model.write_bytes(MODEL.read_bytes())
    model.chmod(0o644)
    update_params(model, {"suppression_ms": 500})
    assert stat.S_IMODE(model.stat().st_mode) == 0o644 and read_params(model)["suppression_ms"] == 500


def test_update_params_writes_through_a_symlinked_model(tmp_path):
    (tmp_path / "store").mkdir()
    real = tmp_path / "store" / "v3.tflite"
    real.write_bytes(MODEL.read_bytes())
    link = tmp_path / "current.tflite"
    link.symlink_to("store/v3.tflite")
    update_params(link, {"suppression_ms": 500})
    assert link.is_symlink() and read_params(real)["suppression_ms"] == 500
    assert sorted(os.listdir(tmp_path)) == ["current.tflite", "store"]
