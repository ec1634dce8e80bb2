"""collect_clips & co.: a model specification's dataset sources become labelled clips per split."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from harken.datasets.clips import LabeledClip, class_index, collect_clips, keras_class_weights, read_clip
from harken.errors import DatasetError
from harken.frontend import FrontendSettings
from harken.spec import DatasetSource, ModelSettings, ModelSpec, TrainingSettings

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


def test_other_word_folders_become_unknown_and_noise_files_are_listed(folder):
    clips = collect_clips(folder_spec(folder))
    everything = clips["training"] + clips["validation"] + clips["testing"]
    labels = {c.path.split("/")[-2]: set() for c in everything}
    for clip in everything:
        labels[clip.path.split("/")[-2]].add(clip.label)
    assert labels == {"on": {"on"}, "off": {"off"}, "yes": {"_unknown_"}, "sil": {"_unknown_"}}
    assert [p.split("/")[-1] for p in clips["noise_files"]] == ["hum.wav"]


def test_class_map_renames_a_folder_and_generated_silence_needs_a_silence_class(folder):
    spec = folder_spec(folder, classes=("on", "off", "_unknown_", "_silence_"), class_map={"sil": "_silence_"},
                 silence_percentage=10.0)
    clips = collect_clips(spec)["training"]
    assert {c.path.split("/")[-2] for c in clips if c.label == "_silence_" and c.path} == {"sil"}
    assert any(c.path is None and c.label == "_silence_" for c in clips)
    without = collect_clips(folder_spec(folder, silence_percentage=10.0))["training"]  # no _silence_ class: unknown
    assert any(c.path is None and c.label == "_unknown_" for c in without)


def test_a_missing_source_folder_names_the_setting(tmp_path):
    with pytest.raises(DatasetError, match=r"dataset folder not found \(DatasetSource directory=\)"):
        collect_clips(folder_spec(tmp_path / "nowhere"))


def test_class_index_follows_the_order_and_rejects_repeats():
    assert class_index(["on", "off", "_unknown_"]) == {"on": 0, "off": 1, "_unknown_": 2}
    with pytest.raises(DatasetError, match="class names repeat"):
        class_index(["on", "on"])


def test_keras_class_weights_are_balanced_by_class_index_for_the_classes_present():
    assert keras_class_weights([0, 0, 0, 1], 3) == {0: 4 / 6, 1: 2.0}


def test_read_clip_gives_float32_at_the_asked_rate(folder):
    audio = read_clip(str(folder / "on" / "00000_nohash_0.wav"), 8000)
    assert audio.dtype == np.float32 and audio.shape == (8000,)


def test_a_labeled_clip_is_a_value():
    assert LabeledClip("a.wav", "on") == LabeledClip("a.wav", "on") and LabeledClip(None, "_silence_").path is None
