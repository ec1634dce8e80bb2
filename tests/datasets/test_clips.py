"""collect_clips & co.: a model specification's dataset sources become labelled clips per split."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from harken.datasets.clips import collect_clips, keras_class_weights
from harken.frontend import FrontendSettings
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


def folder_spec(folder, classes=("on", "off", "_unknown_"), **source) -> ModelSpec:
    return ModelSpec(name="tiny", classes=classes, frontend=FE, datasets=[DatasetSource(directory=str(folder), **source)],
                     model=ModelSettings(architecture="cnn"), training=TrainingSettings(epochs=1, batch_size=8))


def test_a_speaker_manifest_puts_the_listed_speakers_in_their_split(folder, tmp_path):
    manifest = tmp_path / "splits.csv"
    manifest.write_text("file,split\non/00000_nohash_0.wav,testing\noff/00011_nohash_0.wav,validation\n")
    spec = folder_spec(folder, validation_percentage=0.0, testing_percentage=0.0, speaker_manifest=str(manifest))
    clips = collect_clips(spec)
    assert [(c.path.split("/")[-1], c.label) for c in clips["testing"]] == [("00000_nohash_0.wav", "on")]
    assert [(c.path.split("/")[-1], c.label) for c in clips["validation"]] == [("00011_nohash_0.wav", "off")]
    assert len(clips["training"]) == 4 * 30 - 2


def test_keras_class_weights_are_balanced_by_class_index_for_the_classes_present():
    assert keras_class_weights([0, 0, 0, 1], 3) == {0: 4 / 6, 1: 2.0}
