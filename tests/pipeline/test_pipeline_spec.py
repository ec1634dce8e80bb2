"""build_training_data: a model specification's datasets become batches, validation and weights."""

from __future__ import annotations

import numpy as np
import pytest

from harken.errors import DatasetError
from harken.pipeline.data import build_training_data
from tests.datasets.test_clips import FE, folder, folder_spec  # noqa: F401 (folder: the fixture)


def test_spec_datasets_become_labelled_batches(folder):
    data = build_training_data(folder_spec(folder), dry_run=True, workers=1)
    assert data.class_names == ["on", "off", "_unknown_"]
    counts = np.bincount(data.train.labels, minlength=3)
    assert counts[0] > 0 and counts[1] > 0 and counts[2] > counts[0]  # yes + sil folders -> _unknown_
    x, y = data.train[0]
    assert x.shape == (8, *FE.spectrogram_shape, 1)
    xv, yv = data.validation
    assert xv.shape[1:] == (*FE.spectrogram_shape, 1) and len(xv) == len(yv) > 0
    assert data.num_noise_clips == 1 and data.num_rirs == 8
    assert set(data.class_weights) == {0, 1, 2} and data.class_weights[2] < data.class_weights[0]


def test_class_map_renames_a_folder_to_a_spec_class(folder):
    spec = folder_spec(folder, classes=("on", "off", "_unknown_", "_silence_"), class_map={"sil": "_silence_"})
    data = build_training_data(spec, dry_run=True, workers=1)
    assert np.count_nonzero(data.train.labels == 3) > 0


def test_a_class_with_no_clips_is_an_error(folder):
    spec = folder_spec(folder, classes=("on", "off", "stop", "_unknown_"))
    with pytest.raises(DatasetError, match="keyword 'stop' has no folder"):
        build_training_data(spec, dry_run=True, workers=1)


def test_an_empty_validation_split_is_an_error_naming_the_setting(folder):
    spec = folder_spec(folder, validation_percentage=0.0)
    with pytest.raises(DatasetError, match="spec tiny: the validation split is empty; .*validation_percentage"):
        build_training_data(spec, dry_run=True, workers=1)
