"""The scan cache never goes stale: each file's result is keyed on the file itself, not its folder."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from harken.datasets import scan
from harken.datasets.directory import DirectorySettings, load_directory_dataset
from harken.datasets.filecheck import check_audio_file


def write_clip(path: Path, frames: int = 1600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (np.sin(np.arange(frames) * 0.1) * 5000).astype(np.int16), 16000, subtype="PCM_16")


def cut_in_place_keeping_size_and_times(path: Path) -> None:
    """Rewrite ``path`` in place so its data chunk declares 1000 bytes more than it holds; put its times back."""
    st, parent = path.stat(), path.parent.stat()
    data = bytearray(path.read_bytes())
    at = data.index(b"data") + 4
    struct.pack_into("<I", data, at, struct.unpack_from("<I", data, at)[0] + 1000)
    with open(path, "r+b") as fh:
        fh.write(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.utime(path.parent, ns=(parent.st_atime_ns, parent.st_mtime_ns))
    assert path.stat().st_size == st.st_size


@pytest.fixture(autouse=True)
def harken_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))


@pytest.fixture
def root(tmp_path) -> Path:
    for word, speakers in (("on", ["aa01", "bb02", "cc03"]), ("off", ["aa01", "dd04"])):
        for speaker in speakers:
            write_clip(tmp_path / "words" / word / f"{speaker}_nohash_0.wav")
    return tmp_path / "words"


def _bad(ds) -> dict[str, str]:
    return {Path(b.path).name: b.reason for b in ds.bad_files}


def test_a_clip_cut_in_place_with_its_size_and_times_kept_is_checked_again(root):
    assert _bad(load_directory_dataset(root)) == {}
    cut_in_place_keeping_size_and_times(root / "on" / "bb02_nohash_0.wav")
    bad = _bad(load_directory_dataset(root))
    assert list(bad) == ["bb02_nohash_0.wav"] and bad["bb02_nohash_0.wav"].startswith("truncated: header declares")


def test_a_clip_overwritten_in_place_by_a_shorter_file_is_checked_again(root):
    load_directory_dataset(root)
    clip = root / "off" / "dd04_nohash_0.wav"
    folder_times = clip.parent.stat()
    with open(clip, "r+b") as fh:  # same inode, same folder entry: the folder's timestamp does not move
        fh.truncate(clip.stat().st_size // 2)
    assert clip.parent.stat().st_mtime_ns == folder_times.st_mtime_ns
    assert list(_bad(load_directory_dataset(root))) == ["dd04_nohash_0.wav"]


def test_only_the_changed_file_is_checked_again(root, monkeypatch):
    load_directory_dataset(root)
    calls = []
    real = scan.check_audio_file
    monkeypatch.setattr(scan, "check_audio_file", lambda path, **kw: calls.append(Path(path).name) or real(path, **kw))
    load_directory_dataset(root)
    assert calls == []
    write_clip(root / "on" / "aa01_nohash_0.wav", frames=800)
    ds = load_directory_dataset(root)
    assert calls == ["aa01_nohash_0.wav"] and len(ds.samples) == 5


def test_a_symlink_loop_in_a_class_folder_is_a_bad_file_not_a_crash(root):
    (root / "on" / "loop_nohash_0.wav").symlink_to("loop_nohash_0.wav")
    (root / "loopdir").symlink_to("loopdir")
    for _ in range(2):  # the second scan reads the cache
        bad = _bad(load_directory_dataset(root))
        assert list(bad) == ["loop_nohash_0.wav"] and bad["loop_nohash_0.wav"].startswith("unreadable:")


@pytest.mark.parametrize("check", ["header", "full"])
def test_both_check_levels_catch_a_wav_cut_short(root, check):
    cut_in_place_keeping_size_and_times(root / "on" / "cc03_nohash_0.wav")
    assert check_audio_file(root / "on" / "cc03_nohash_0.wav", check=check).reason.startswith("truncated:")
    bad = _bad(load_directory_dataset(root, DirectorySettings(check=check)))
    assert list(bad) == ["cc03_nohash_0.wav"]


@pytest.mark.parametrize("damage", ["not json", "a list", "keys cut short", "rows not lists"])
def test_a_damaged_scan_cache_is_ignored(root, damage):
    load_directory_dataset(root)
    (cache_file,) = (root.parent / "home" / "cache" / "scans").glob("*.json")
    cached = json.loads(cache_file.read_text())
    if damage == "keys cut short":
        cached["folders"]["on"]["keys"] = cached["folders"]["on"]["keys"][:1]
    elif damage == "rows not lists":
        cached["folders"]["off"]["rows"] = [1] * len(cached["folders"]["off"]["rows"])
    text = {"not json": "{not json", "a list": "[]"}.get(damage, json.dumps(cached))
    cache_file.write_text(text)
    ds = load_directory_dataset(root)
    assert len(ds.samples) == 5 and ds.bad_files == ()
