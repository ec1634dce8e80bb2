"""``bench/stream_folds.py``: the dev_mix folds' held-out speakers as two symlink views, disjoint by speaker."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from harken.datasets.splits import percentage_hash

BENCH = Path(__file__).resolve().parents[2] / "bench" / "stream_folds.py"
FOLD_A, FOLD_B, TRAINING = ("00001010", "00001027"), ("00001048", "00001050"), ("00001000",)  # [10,15), [15,20), 20+
SILENCE = ("noise_9", "noise_10", "noise_13", "noise_0")  # hash 20.0 (B), 12.1 (A), 14.0 (A), elsewhere


def _folds_module():
    spec = importlib.util.spec_from_file_location("stream_folds", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dev(root: Path) -> Path:
    clip = (0.1 * np.random.default_rng(0).standard_normal(1600)).astype(np.float32)
    names = {"on": [f"{s}_nohash_0.wav" for s in (*FOLD_A, *FOLD_B, *TRAINING)],
             "_unknown_": [f"bed_{s}_nohash_1.wav" for s in (*FOLD_A, *FOLD_B, *TRAINING)],
             "_silence_": [f"{s}.wav" for s in SILENCE]}  # fmt: skip
    for folder, files in names.items():
        (root / folder).mkdir(parents=True)
        for name in files:
            sf.write(root / folder / name, clip, 16000, subtype="PCM_16")
    return root


def test_the_views_hold_each_folds_held_out_speakers_as_links(tmp_path, monkeypatch, capsys):
    assert [10 <= percentage_hash(s) < 15 for s in FOLD_A] == [True, True]  # the chosen ids still hash so
    assert [15 <= percentage_hash(s) < 20 for s in FOLD_B] == [True, True]
    dev = _dev(tmp_path / "dev")
    monkeypatch.setattr(sys, "argv", ["stream_folds.py", "--dataset", str(dev), "--out", str(tmp_path / "v")])
    _folds_module().main()
    summary = json.loads(capsys.readouterr().out)
    views = {fold: sorted(p.relative_to(tmp_path / "v" / fold).as_posix()
                          for p in (tmp_path / "v" / fold).rglob("*.wav")) for fold in ("A", "B")}  # fmt: skip
    assert views["A"] == ["_silence_/noise_10.wav", "_silence_/noise_13.wav", "_unknown_/bed_00001010_nohash_1.wav",
                          "_unknown_/bed_00001027_nohash_1.wav", "on/00001010_nohash_0.wav", "on/00001027_nohash_0.wav"]
    assert views["B"] == ["_silence_/noise_9.wav", "_unknown_/bed_00001048_nohash_1.wav",
                          "_unknown_/bed_00001050_nohash_1.wav", "on/00001048_nohash_0.wav", "on/00001050_nohash_0.wav"]
    assert all((tmp_path / "v" / "A" / n).is_symlink() for n in views["A"])
    assert summary["A"]["per_class"] == {"_silence_": 2, "_unknown_": 2, "on": 2} and summary["in_neither"] == 3
    with pytest.raises(SystemExit, match=r"v/A: already exists"):
        _folds_module().main()
