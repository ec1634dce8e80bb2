"""Directory datasets: class mapping, speaker splits, caps, silence, weights, the scan cache."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from harken.datasets import scan
from harken.datasets.directory import (
    DirectorySettings,
    balanced_class_weights,
    bad_file_report,
    load_directory_dataset,
)
from harken.datasets.splits import split_of_speaker
from harken.errors import DatasetError, SettingsError

SPEAKERS = [f"{i:08x}" for i in range(0x1000, 0x1000 + 40 * 7919, 7919)]


def write_clip(path: Path, *, frames: int = 800, fmt: str = "WAV") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = (np.sin(np.arange(frames) * 0.1) * 8000).astype(np.int16)
    sf.write(path, samples, 16000, format=fmt, subtype="PCM_16")


@pytest.fixture(autouse=True)
def harken_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))


@pytest.fixture
def dataset_root(tmp_path) -> Path:
    """on/off/yes/no words by 40 speakers in Speech Commands names, plus noise and a flac word."""
    root = tmp_path / "sc"
    for word in ("on", "off", "yes", "no"):
        for i, speaker in enumerate(SPEAKERS):
            for n in range(1 + i % 2):
                write_clip(root / word / f"{speaker}_nohash_{n}.wav")
    for name in ("alice_1.flac", "alice_2.flac", "bob_1.flac"):
        write_clip(root / "up" / name, fmt="FLAC")
    write_clip(root / "_background_noise_" / "white_noise.wav", frames=4000)
    (root / "README.md").write_text("not a class")
    (root / ".hidden").mkdir()
    return root


def test_directory_maps_keywords_and_other_words_to_unknown(dataset_root):
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("on", "off")))
    assert ds.classes == ("on", "off", "_unknown_")
    counts = ds.class_counts()
    assert counts["on"] == counts["off"] == 60
    assert counts["_unknown_"] == 60 + 60 + 3
    assert any(s.path.endswith(".flac") for s in ds.samples)


def test_directory_without_keywords_lists_every_word_folder_as_a_class(dataset_root):
    ds = load_directory_dataset(dataset_root)
    assert ds.classes == ("no", "off", "on", "up", "yes")


def test_directory_unknown_false_drops_other_words(dataset_root):
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("on",), unknown=False))
    assert ds.classes == ("on",) and len(ds.samples) == 60


def test_directory_background_noise_is_noise_not_a_class(dataset_root):
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("on", "off")))
    assert [Path(p).name for p in ds.noise_files] == ["white_noise.wav"]
    assert "_background_noise_" not in ds.classes
    assert not any("_background_noise_" in s.path for s in ds.samples)


def test_directory_splits_never_share_a_speaker(dataset_root):
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("on", "off")))
    seen: dict[str, str] = {}
    for sample in ds.samples:
        assert seen.setdefault(sample.speaker, sample.split) == sample.split, sample.speaker
        assert sample.split == split_of_speaker(sample.speaker)
    assert set(ds.split_counts()) == {"training", "validation", "testing"}
    assert sum(ds.split_counts().values()) == len(ds.samples)


def test_directory_split_percentages_move_speakers(dataset_root):
    ds = load_directory_dataset(
        dataset_root, DirectorySettings(keywords=("on",), validation_percentage=50, testing_percentage=50)
    )
    assert ds.split_counts()["training"] == 0


def test_directory_cap_is_deterministic_for_a_seed(dataset_root):
    settings = DirectorySettings(keywords=("on", "off"), max_samples_per_class=25, seed=3)
    first = load_directory_dataset(dataset_root, settings)
    again = load_directory_dataset(dataset_root, settings)
    other_settings = DirectorySettings(keywords=("on", "off"), max_samples_per_class=25, seed=4)
    other = load_directory_dataset(dataset_root, other_settings)
    assert first.class_counts() == {"on": 25, "off": 25, "_unknown_": 25}
    assert first.samples == again.samples
    assert first.samples != other.samples


def test_directory_generated_silence_is_a_share_of_each_split(dataset_root):
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("on", "off"), silence_percentage=10))
    assert ds.classes[-1] == "_silence_"
    for split in ("training", "validation", "testing"):
        others = [s for s in ds.split(split) if s.label != "_silence_"]
        silence = [s for s in ds.split(split) if s.label == "_silence_"]
        assert len(silence) == -(-len(others) * 10 // 100)
        assert all(s.path is None for s in silence)


def test_directory_real_silence_folder_is_a_class_with_one_speaker_per_file(dataset_root):
    for i in range(6):
        write_clip(dataset_root / "_silence_" / f"noise_{i}.wav")
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("on",)))
    silence = [s for s in ds.samples if s.label == "_silence_"]
    assert len(silence) == 6 and len({s.speaker for s in silence}) == 6


def test_directory_manifest_speakers_override_names(dataset_root, tmp_path):
    manifest = tmp_path / "speakers.tsv"
    manifest.write_text("file\tspeaker\nup/alice_1.flac\tcarol\nup/bob_1.flac\tcarol\n")
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("up",), speaker_manifest=str(manifest)))
    speakers = {Path(s.path).name: s.speaker for s in ds.samples if s.label == "up"}
    assert speakers == {"alice_1.flac": "carol", "alice_2.flac": "alice", "bob_1.flac": "carol"}


def test_directory_manifest_without_speaker_column_is_rejected(dataset_root, tmp_path):
    manifest = tmp_path / "bad.csv"
    manifest.write_text("file,who\nup/alice_1.flac,carol\n")
    with pytest.raises(DatasetError, match="'file' column and a 'speaker' or 'split' column"):
        load_directory_dataset(dataset_root, DirectorySettings(speaker_manifest=str(manifest)))


def test_directory_manifest_split_column_puts_speakers_in_a_split(dataset_root, tmp_path):
    hashed = load_directory_dataset(dataset_root, DirectorySettings(keywords=("up",)))
    alice_split = next(s.split for s in hashed.samples if s.speaker == "alice")
    elsewhere = next(name for name in ("training", "validation", "testing") if name != alice_split)
    manifest = tmp_path / "splits.csv"
    manifest.write_text(f"file,split\nup/alice_1.flac,{elsewhere}\n")
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("up",), speaker_manifest=str(manifest)))
    alice = [s for s in ds.samples if s.speaker == "alice"]
    assert len(alice) == 2 and {s.split for s in alice} == {elsewhere}  # the unlisted alice_2 follows her
    others = {s.speaker: s.split for s in hashed.samples if s.speaker != "alice"}
    assert {s.speaker: s.split for s in ds.samples if s.speaker != "alice"} == others


def test_directory_manifest_split_for_a_named_speaker(dataset_root, tmp_path):
    manifest = tmp_path / "speakers.tsv"
    manifest.write_text("file\tspeaker\tsplit\nup/alice_1.flac\tcarol\ttesting\nup/bob_1.flac\tcarol\t\n")
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("up",), speaker_manifest=str(manifest)))
    carol = [s for s in ds.samples if s.speaker == "carol"]
    assert len(carol) == 2 and {s.split for s in carol} == {"testing"}


def test_directory_manifest_split_conflicts_and_bad_names_are_errors(dataset_root, tmp_path):
    manifest = tmp_path / "splits.csv"
    manifest.write_text("file,split\nup/alice_1.flac,testing\nup/alice_2.flac,training\n")
    with pytest.raises(DatasetError, match=r"speaker 'alice' is put in 'testing' \(up/alice_1.flac\) and in 'training'"):
        load_directory_dataset(dataset_root, DirectorySettings(keywords=("up",), speaker_manifest=str(manifest)))
    manifest.write_text("file,split\nup/alice_1.flac,test\n")
    with pytest.raises(DatasetError, match=r"splits.csv: line 2: split 'test' is not one of training, validation"):
        load_directory_dataset(dataset_root, DirectorySettings(keywords=("up",), speaker_manifest=str(manifest)))


def test_directory_missing_keyword_suggests_the_closest_folder(dataset_root):
    with pytest.raises(DatasetError, match=r"keyword 'offf' has no folder \(did you mean 'off'\?\)"):
        load_directory_dataset(dataset_root, DirectorySettings(keywords=("on", "offf")))


def test_directory_root_that_is_not_a_folder_is_rejected(tmp_path):
    with pytest.raises(DatasetError, match="not a folder"):
        load_directory_dataset(tmp_path / "missing")


def test_balanced_class_weights_follow_the_keras_formula(dataset_root):
    assert balanced_class_weights({"a": 10, "b": 30}) == {"a": 2.0, "b": 40 / 60}
    ds = load_directory_dataset(dataset_root, DirectorySettings(keywords=("on", "off")))
    counts = ds.class_counts("training")
    weights = ds.class_weights()
    assert sum(weights[c] * counts[c] for c in counts) == pytest.approx(sum(counts.values()))


def test_balanced_class_weights_reject_an_empty_class():
    with pytest.raises(DatasetError, match="class 'b' has no samples"):
        balanced_class_weights({"a": 3, "b": 0})


def test_directory_scan_is_cached_until_a_folder_changes(dataset_root, monkeypatch):
    calls = []
    real = scan.check_audio_file
    monkeypatch.setattr(scan, "check_audio_file", lambda path, **kw: calls.append(path) or real(path, **kw))
    load_directory_dataset(dataset_root)
    first = len(calls)
    assert first > 0
    load_directory_dataset(dataset_root)
    assert len(calls) == first
    write_clip(dataset_root / "on" / "feedbeef_nohash_0.wav")
    ds = load_directory_dataset(dataset_root)
    assert len(calls) > first
    assert any(s.path.endswith("feedbeef_nohash_0.wav") for s in ds.samples)


def test_directory_scan_cache_lives_under_harken_home(dataset_root, tmp_path):
    load_directory_dataset(dataset_root, use_cache=False)
    assert not (tmp_path / "home" / "cache").exists()
    load_directory_dataset(dataset_root)
    assert len(list((tmp_path / "home" / "cache" / "scans").glob("*.json"))) == 1


def test_directory_settings_round_trip_through_dict():
    settings = DirectorySettings(keywords=("on", "off"), silence_percentage=5, max_samples_per_class=100, seed=7)
    assert DirectorySettings.from_dict(settings.to_dict()) == settings


def test_directory_settings_reject_unknown_key_with_suggestion():
    with pytest.raises(SettingsError, match="did you mean 'keywords'"):
        DirectorySettings.from_dict({"keyword": ["on"]})


def test_directory_settings_reject_bad_values():
    with pytest.raises(SettingsError, match="max_samples_per_class=0"):
        DirectorySettings(max_samples_per_class=0)
    with pytest.raises(SettingsError, match="check='deep'"):
        DirectorySettings(check="deep")
    with pytest.raises(SettingsError, match="repeats"):
        DirectorySettings(keywords=("on", "on"))
    with pytest.raises(SettingsError, match=r"DirectorySettings.silence_percentage=2000: use a value in \[0.0, 1000.0\]"):
        DirectorySettings(silence_percentage=2000)
    with pytest.raises(AttributeError):
        DirectorySettings().keyword = ("on",)  # slots: a typo is an error


def test_bad_file_report_is_one_line_per_file():
    from harken.datasets.directory import BadFile

    assert bad_file_report([BadFile("a.wav", "empty file (0 bytes)"), BadFile("b.wav", "x")]) == (
        "a.wav: empty file (0 bytes)\nb.wav: x"
    )
    assert bad_file_report([]) == ""


def test_directory_info_logs_a_summary(dataset_root, caplog):
    with caplog.at_level(logging.INFO, logger="harken.datasets.directory"):
        load_directory_dataset(dataset_root)
    assert "samples in 5 classes" in caplog.text
