"""Loading saved .keras models: a round trip, and one-line errors that name the file."""

from __future__ import annotations

import numpy as np
import pytest

from harken.errors import ModelFileError
from harken.models.keras_file import load_keras_model


def test_a_saved_tenet_loads_back_with_the_same_outputs(tmp_path):
    from harken.models import build_model

    model = build_model("tenet", input_shape=(12, 1, 8), num_classes=3, channels=4, num_stages=1, blocks_per_stage=1)
    path = tmp_path / "m.keras"
    model.save(path)
    x = np.random.default_rng(0).standard_normal((2, 12, 1, 8)).astype(np.float32)
    assert np.allclose(load_keras_model(path)(x), model(x), atol=1e-6)


def test_missing_and_damaged_files_name_the_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"gone\.keras: no such model file"):
        load_keras_model(tmp_path / "gone.keras")
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a keras archive")
    with pytest.raises(ModelFileError, match=r"broken\.keras: Keras cannot load the model \(") as info:
        load_keras_model(broken)
    assert "\n" not in str(info.value)
