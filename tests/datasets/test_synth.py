"""The synthetic keyword dataset: determinism, manifest, naming, cache, resume, export, CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from harken.datasets import synth as synth_module
from harken.datasets.splits import speaker_of
from harken.datasets.synth import (
    MARKER,
    SynthSettings,
    export_dataset,
    plan_dataset,
    synthesize_dataset,
)
from harken.errors import DatasetError, SettingsError


def tiny(**overrides) -> SynthSettings:
    values = dict(num_clips_per_keyword=3, num_unknown=4, background_noise=False)
    values.update(overrides)
    return SynthSettings(**values)


def wav_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.wav"))}


def test_same_seed_gives_same_bytes_whatever_the_worker_count(tmp_path):
    a = synthesize_dataset(tiny(), workers=1, cache_root=tmp_path / "a")
    b = synthesize_dataset(tiny(), workers=2, cache_root=tmp_path / "b")
    assert a.config_hash == b.config_hash
    assert wav_bytes(a.path) == wav_bytes(b.path)
    assert len(wav_bytes(a.path)) == 3 + 3 + 4


def test_different_seed_gives_different_clips(tmp_path):
    a = synthesize_dataset(tiny(seed=0), cache_root=tmp_path)
    b = synthesize_dataset(tiny(seed=1), cache_root=tmp_path)
    assert a.path != b.path
    assert set(wav_bytes(a.path).values()).isdisjoint(wav_bytes(b.path).values())


def test_manifest_has_one_row_per_clip_with_engine_voice_rate_pitch_and_text(tmp_path):
    result = synthesize_dataset(tiny(), cache_root=tmp_path)
    rows = [json.loads(line) for line in (result.path / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == result.num_clips == 10
    for row in rows:
        assert {"engine", "voice", "rate_wpm", "pitch", "text", "label", "speaker"} <= row.keys()
        assert (result.path / row["file"]).is_file()
        assert row["file"].startswith(row["label"] + "/")
    assert (result.path / "manifest.csv").read_text().splitlines()[0].startswith("file,label,speaker,engine,voice")
    assert json.loads((result.path / "settings.json").read_text())["num_clips_per_keyword"] == 3


def test_clips_are_16_bit_mono_at_the_requested_rate_and_length(tmp_path):
    result = synthesize_dataset(tiny(sample_rate_hz=8000, clip_ms=800, num_unknown=0), cache_root=tmp_path)
    for path in result.path.rglob("*.wav"):
        info = sf.info(path)
        assert (info.samplerate, info.channels, info.frames, info.subtype) == (8000, 1, 6400, "PCM_16")
        audio, _ = sf.read(path, dtype="int16")
        assert np.abs(audio.astype(int)).max() > 1000  # speech, not silence


def test_clip_names_put_a_per_voice_speaker_id_before_nohash(tmp_path):
    result = synthesize_dataset(tiny(), cache_root=tmp_path)
    rows = [json.loads(line) for line in (result.path / "manifest.jsonl").read_text().splitlines()]
    for row in rows:
        name = Path(row["file"]).name
        assert name.startswith(row["speaker"] + "_nohash_")
        assert speaker_of(name) == row["speaker"].rsplit("_", 1)[1]
    by_voice = {}
    for row in rows:
        by_voice.setdefault(row["voice"], set()).add(row["speaker"])
    assert all(len(s) == 1 for s in by_voice.values())


def test_rerun_with_same_settings_comes_from_the_cache(tmp_path):
    first = synthesize_dataset(tiny(), cache_root=tmp_path)
    second = synthesize_dataset(tiny(), cache_root=tmp_path)
    assert not first.from_cache and second.from_cache
    assert second.path == first.path and second.clips_per_label == first.clips_per_label


def test_interrupted_build_leaves_no_cache_folder_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(synth_module, "CHUNK_SIZE", 2)
    calls = []

    def interrupt_after_first_chunk(done, total):
        calls.append(done)
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        synthesize_dataset(tiny(), workers=1, progress=interrupt_after_first_chunk, cache_root=tmp_path / "x")
    folders = [p.name for p in (tmp_path / "x").iterdir()]
    assert len(folders) == 1 and folders[0].startswith(".partial-")
    assert list((tmp_path / "x" / folders[0] / ".chunks").glob("*.json"))

    seen = []
    resumed = synthesize_dataset(tiny(), workers=1, progress=lambda d, t: seen.append(d), cache_root=tmp_path / "x")
    assert seen[0] >= 2  # the finished chunk was not rendered again
    assert (resumed.path / MARKER).is_file() and not (tmp_path / "x" / folders[0]).exists()
    fresh = synthesize_dataset(tiny(), workers=1, cache_root=tmp_path / "y")
    assert wav_bytes(resumed.path) == wav_bytes(fresh.path)


def test_plan_covers_at_least_100_voice_rate_pitch_combinations_per_keyword():
    plans = plan_dataset(SynthSettings(num_clips_per_keyword=150, num_unknown=10))
    for keyword in ("on", "off"):
        combos = {(p.voice, p.rate_wpm, p.pitch) for p in plans if p.label == keyword}
        assert len(combos) >= 100


def test_unknown_clips_never_speak_a_keyword_and_include_near_misses():
    plans = plan_dataset(SynthSettings(num_clips_per_keyword=1, num_unknown=200))
    unknown = [p for p in plans if p.label == "_unknown_"]
    assert len(unknown) == 200
    words = {p.text.rstrip(".!?").lower() for p in unknown}
    assert not words & {"on", "off"}
    assert sum(p.kind == "near_miss" for p in unknown) == 100


def test_settings_round_trip_through_a_dict():
    settings = SynthSettings(keywords=("yes", "no"), seed=3, clip_ms=1200)
    assert SynthSettings.from_dict(json.loads(json.dumps(settings.to_dict()))) == settings


def test_settings_reject_an_unknown_key_with_a_suggestion():
    with pytest.raises(SettingsError, match="did you mean 'num_unknown'"):
        SynthSettings.from_dict({"num_unknwn": 3})


def test_settings_reject_min_rate_above_max():
    with pytest.raises(SettingsError, match="min_rate_wpm=300"):
        SynthSettings(min_rate_wpm=300, max_rate_wpm=200)


def test_settings_reject_a_keyword_that_is_not_a_word():
    with pytest.raises(SettingsError, match="--keywords on,off"):
        SynthSettings(keywords=("on", "2x"))


def test_export_copies_the_dataset_and_refuses_a_foreign_folder(tmp_path):
    result = synthesize_dataset(tiny(), cache_root=tmp_path / "cache")
    out = export_dataset(result.path, tmp_path / "out")
    assert wav_bytes(out) == wav_bytes(result.path)
    assert export_dataset(result.path, tmp_path / "out") == out  # same dataset: nothing to do
    (tmp_path / "other").mkdir()
    with pytest.raises(DatasetError, match="--out"):
        export_dataset(result.path, tmp_path / "other")


def test_background_noise_folder_holds_the_synthetic_noises(tmp_path):
    result = synthesize_dataset(tiny(background_noise=True, num_unknown=0), cache_root=tmp_path)
    names = sorted(p.name for p in (result.path / "_background_noise_").glob("*.wav"))
    assert "pink_noise.wav" in names and "hum50_noise.wav" in names and "mic_noise.wav" in names


def test_cli_synth_prints_json_with_counts(tmp_path, monkeypatch):
    import typer
    from typer.testing import CliRunner

    from harken.cli.datasets import app as datasets_app

    app = typer.Typer()
    app.add_typer(datasets_app, name="datasets")
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path))
    args = ["datasets", "synth", "--clips-per-keyword", "2", "--unknown", "2", "--workers", "1", "--json", "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["clips"] == {"on": 2, "off": 2, "_unknown_": 2}
    assert Path(summary["path"]).is_relative_to(tmp_path / "synth")


def _die(task, results) -> None:
    """A chunk process that dies without a word, as espeak-ng's abort makes it."""
    os._exit(3)


def _fail(task, results) -> None:
    results.send(("error", DatasetError(f"chunk {task[1]} failed")))


def test_a_chunk_process_that_dies_is_an_error_not_a_hang(tmp_path):
    tasks = [(str(tmp_path), c, [], 16000, 1000) for c in range(3)]
    with pytest.raises(DatasetError, match=r"clips \d+ to \d+ stopped \(exit code 3\).*resume"):
        list(synth_module._render_in_processes(tasks, 2, target=_die))
    with pytest.raises(DatasetError, match=r"chunk \d failed"):  # an exception in the child is raised here as it was
        list(synth_module._render_in_processes(tasks, 2, target=_fail))
