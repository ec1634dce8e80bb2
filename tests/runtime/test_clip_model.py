"""Clip scoring: a .tflite's embedded classes, front end and thresholds; uint8 scores by the firmware's rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from harken.errors import ModelFileError
from harken.runtime.clip_model import MODEL_SUFFIXES, load_clip_model
from harken.runtime.runner import run_tflite

TINY = Path(__file__).parents[1] / "data" / "params" / "tiny_with_params.tflite"  # reference-toolkit params


def spectrograms(n: int) -> np.ndarray:
    return np.random.default_rng(0).integers(-128, 128, size=(n, 98, 104)).astype(np.int8)


def test_embedded_classes_front_end_and_thresholds_are_read():
    model = load_clip_model(TINY)
    assert model.classes == ("on", "off", "_unknown_")
    assert model.frontend.spectrogram_shape == (98, 104) and model.input_shape == (98, 104, 1)
    assert model.detection_thresholds() == [242, 242, 255]


def test_scores_are_the_int8_outputs_plus_128_from_tflm():
    model = load_clip_model(TINY)
    x = spectrograms(3)
    probabilities, scores = model.predict(x)
    raw = run_tflite(TINY.read_bytes(), x[..., None].astype(np.float32), interpreter="tflm")
    assert scores.dtype == np.uint8 and np.array_equal(scores, (raw.astype(np.int16) + 128).astype(np.uint8))
    np.testing.assert_array_equal(probabilities, scores / np.float32(256))


def test_litert_scores_equal_tflm_scores_on_the_tiny_model():
    x = spectrograms(4)
    assert np.array_equal(load_clip_model(TINY, interpreter="litert").predict(x)[1], load_clip_model(TINY).predict(x)[1])


def test_spectrograms_of_another_shape_are_rejected_naming_the_fe_settings():
    with pytest.raises(ModelFileError, match="embedded fe.. settings do not match"):
        load_clip_model(TINY).predict(np.zeros((1, 49, 32), np.int8))


def test_class_count_must_match_the_outputs():
    with pytest.raises(ModelFileError, match="3 outputs but 2 classes"):
        load_clip_model(TINY, classes=["on", "off"])


def test_unknown_suffix_and_missing_file_are_model_file_errors(tmp_path):
    other = tmp_path / "model.onnx"
    shutil.copy(TINY, other)
    assert other.suffix not in MODEL_SUFFIXES
    with pytest.raises(ModelFileError, match="unknown model type '.onnx'"):
        load_clip_model(other)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_clip_model(tmp_path / "absent.tflite")
