"""build_training_data: a model specification's datasets become batches, validation and weights."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from harken.errors import DatasetError
from harken.frontend import FrontendSettings
from harken.pipeline.batches import build_training_data
from harken.spec.model_spec import DatasetSource, ModelSettings, ModelSpec, TrainingSettings

FE = FrontendSettings(sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=16,
                      filterbank_upper_band_limit=3900.0)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """on / off / yes / sil folders, 30 speakers each, plus one background noise file."""
    root = tmp_path_factory.mktemp("ds")
    rng = np.random.default_rng(0)
    for k, word in enumerate(["on", "off", "yes", "sil"]):
        (root / word).mkdir()
        for speaker in range(30):
            clip = np.sin(2 * np.pi * (300 + 200 * k) * np.arange(8000) / 8000) * 0.3 * (word != "sil")
            sf.write(root / word / f"{speaker:04x}{k}_nohash_0.wav", clip + rng.standard_normal(8000) * 1e-3, 8000,
                     subtype="PCM_16")
    (root / "_background_noise_").mkdir()
    sf.write(root / "_background_noise_" / "hum.wav", rng.standard_normal(16000) * 0.05, 8000, subtype="PCM_16")
    return root


def _spec(folder, classes=("on", "off", "_unknown_"), **source) -> ModelSpec:
    return ModelSpec(name="tiny", classes=classes, frontend=FE, datasets=[DatasetSource(directory=str(folder), **source)],
                     model=ModelSettings(architecture="cnn"), training=TrainingSettings(epochs=1, batch_size=8))


def test_spec_datasets_become_labelled_batches(folder):
    data = build_training_data(_spec(folder), dry_run=True, workers=1)
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
    spec = _spec(folder, classes=("on", "off", "_unknown_", "_silence_"), class_map={"sil": "_silence_"})
    data = build_training_data(spec, dry_run=True, workers=1)
    assert np.count_nonzero(data.train.labels == 3) > 0


def test_a_class_with_no_clips_is_an_error(folder):
    spec = _spec(folder, classes=("on", "off", "stop", "_unknown_"))
    with pytest.raises(DatasetError, match="keyword 'stop' has no folder"):
        build_training_data(spec, dry_run=True, workers=1)


def test_a_speaker_manifest_puts_the_listed_speakers_in_their_split(folder, tmp_path):
    from harken.pipeline.batches import collect_clips

    manifest = tmp_path / "splits.csv"
    manifest.write_text("file,split\non/00000_nohash_0.wav,testing\noff/00011_nohash_0.wav,validation\n")
    spec = _spec(folder, validation_percentage=0.0, testing_percentage=0.0, speaker_manifest=str(manifest))
    clips = collect_clips(spec)
    assert [(c.path.split("/")[-1], c.label) for c in clips["testing"]] == [("00000_nohash_0.wav", "on")]
    assert [(c.path.split("/")[-1], c.label) for c in clips["validation"]] == [("00011_nohash_0.wav", "off")]
    assert len(clips["training"]) == 4 * 30 - 2
