"""Bad files in a directory dataset: reported with a reason, logged, left out; strict raises."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from harken.datasets.directory import DirectorySettings, load_directory_dataset
from harken.datasets.filecheck import check_audio_file
from harken.errors import DatasetError, SettingsError


def write_clip(path: Path, *, frames: int = 1600, fmt: str = "WAV", subtype: str = "PCM_16") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (np.sin(np.arange(frames) * 0.05) * 0.3).astype(np.float32), 16000, format=fmt, subtype=subtype)


@pytest.fixture(autouse=True)
def harken_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))


@pytest.fixture
def dirty_root(tmp_path) -> Path:
    root = tmp_path / "dirty"
    for n in range(3):
        write_clip(root / "on" / f"aaaa000{n}_nohash_0.wav")
        write_clip(root / "off" / f"bbbb000{n}_nohash_0.wav")
    (root / "on" / "empty_nohash_0.wav").write_bytes(b"")
    good = (root / "on" / "aaaa0000_nohash_0.wav").read_bytes()
    (root / "on" / "cut_nohash_0.wav").write_bytes(good[: len(good) // 2])
    (root / "off" / "text_nohash_0.wav").write_text("this is not audio at all, just words\n" * 3)
    write_clip(root / "off" / "flacinside_nohash_0.wav.tmp", fmt="FLAC")
    (root / "off" / "flacinside_nohash_0.wav.tmp").rename(root / "off" / "flacinside_nohash_0.wav")
    (root / "off" / "notes.txt").write_text("a stray file")
    return root


EXPECTED_REASONS = {
    "empty_nohash_0.wav": "empty file (0 bytes)",
    "cut_nohash_0.wav": "truncated: header declares",
    "text_nohash_0.wav": "not audio",
    "flacinside_nohash_0.wav": "wrong format: named .wav but holds FLAC data",
    "notes.txt": "not a .wav or .flac file",
}


def test_bad_files_are_reported_with_their_reason_and_left_out(dirty_root):
    ds = load_directory_dataset(dirty_root, DirectorySettings(keywords=("on", "off")))
    reasons = {Path(b.path).name: b.reason for b in ds.bad_files}
    assert set(reasons) == set(EXPECTED_REASONS)
    for name, start in EXPECTED_REASONS.items():
        assert reasons[name].startswith(start), (name, reasons[name])
    assert ds.class_counts() == {"on": 3, "off": 3}
    assert not any(Path(s.path).name in EXPECTED_REASONS for s in ds.samples)
    assert [b["path"] for b in ds.summary()["bad_files"]] == [b.path for b in ds.bad_files]


def test_bad_files_are_logged_as_warnings(dirty_root, caplog):
    with caplog.at_level(logging.WARNING, logger="harken.datasets.directory"):
        load_directory_dataset(dirty_root)
    assert "cut_nohash_0.wav: left out: truncated" in caplog.text
    assert "empty_nohash_0.wav: left out: empty file" in caplog.text


def test_bad_files_raise_in_strict_mode_naming_each_file(dirty_root):
    with pytest.raises(DatasetError, match=r"5 bad file\(s\) \(strict mode\)(.|\n)*cut_nohash_0.wav: truncated"):
        load_directory_dataset(dirty_root, DirectorySettings(strict=True))


def test_bad_files_are_reported_again_from_the_scan_cache(dirty_root):
    first = load_directory_dataset(dirty_root)
    again = load_directory_dataset(dirty_root)
    assert first.bad_files == again.bad_files and len(again.bad_files) == 5


def test_clean_dataset_passes_strict_mode(tmp_path):
    write_clip(tmp_path / "clean" / "on" / "a_nohash_0.wav")
    write_clip(tmp_path / "clean" / "on" / "b_1.flac", fmt="FLAC")
    ds = load_directory_dataset(tmp_path / "clean", DirectorySettings(strict=True))
    assert ds.bad_files == () and len(ds.samples) == 2


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_header_check_reads_frames_rate_and_channels_like_soundfile(tmp_path, subtype):
    path = tmp_path / "x.wav"
    write_clip(path, frames=1234, subtype=subtype)
    result = check_audio_file(path)
    assert result.ok and (result.num_frames, result.sample_rate_hz, result.num_channels) == (1234, 16000, 1)


def test_header_check_reads_flac_streaminfo(tmp_path):
    path = tmp_path / "x.flac"
    write_clip(path, frames=999, fmt="FLAC")
    result = check_audio_file(path)
    assert result.ok and result.num_frames == 999 and result.sample_rate_hz == 16000


def test_full_check_decodes_and_catches_a_cut_flac(tmp_path):
    path = tmp_path / "x.flac"
    write_clip(path, frames=40000, fmt="FLAC")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    assert check_audio_file(path, check="header").ok  # documented blind spot of the cheap check
    assert check_audio_file(path, check="full").reason.startswith(("unreadable", "truncated"))


def test_header_check_reports_an_unsupported_wav_codec(tmp_path):
    path = tmp_path / "gsm.wav"
    write_clip(path, frames=1600, subtype="GSM610")
    assert check_audio_file(path).reason.startswith("wrong format: WAV codec 0x0031")


def test_file_check_rejects_an_unknown_level(tmp_path):
    with pytest.raises(SettingsError, match="check='deep': use one of header, full"):
        check_audio_file(tmp_path / "x.wav", check="deep")
