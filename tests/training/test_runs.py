"""A run's work directory: the last finished run set aside by a fresh run, and the report of an interruption."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from harken.spec import ModelSettings, ModelSpec, TrainingSettings
from harken.training.runs import PREVIOUS_DIR, RUN_FILE, finish_run, interruption_report, start_run


def _spec(tmp_path, monkeypatch, **training) -> ModelSpec:
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    source = tmp_path / "mine.py"
    source.write_text("# spec\n")
    return ModelSpec(name="mine", classes=("on", "off"), model=ModelSettings(architecture="cnn"),
                     training=TrainingSettings(epochs=10, **training), source_path=str(source))


def _state(folder, **state) -> None:
    (folder / "state").mkdir(parents=True, exist_ok=True)
    (folder / "state" / "state.json").write_text(json.dumps({"tag": "epoch-00001", **state}))


def test_a_finished_run_from_before_run_json_is_set_aside_and_a_users_file_stays(tmp_path, monkeypatch):
    spec = _spec(tmp_path, monkeypatch)
    work = spec.work_dir()
    work.mkdir(parents=True)
    for name in ("mine.keras", "mine.tflite", "history.json", "summary.txt"):
        (work / name).write_bytes(name.encode())
    (work / "notes.txt").write_text("the user's")
    assert start_run(spec, work, resume=False) == work / PREVIOUS_DIR
    assert sorted(p.name for p in (work / PREVIOUS_DIR).iterdir()) == ["history.json", "mine.keras", "mine.tflite",
                                                                       "summary.txt"]
    assert sorted(p.name for p in work.iterdir()) == ["notes.txt", PREVIOUS_DIR, RUN_FILE]
    assert json.loads((work / RUN_FILE).read_text())["finished"] is None


def test_an_unfinished_runs_files_are_replaced_and_the_finished_one_kept(tmp_path, monkeypatch):
    spec = _spec(tmp_path, monkeypatch)
    work = spec.work_dir()
    (work / PREVIOUS_DIR).mkdir(parents=True)
    (work / PREVIOUS_DIR / "mine.keras").write_bytes(b"finished")
    (work / RUN_FILE).write_text(json.dumps({"spec": "mine", "started": "x", "finished": None}))
    (work / "mine.keras").write_bytes(b"interrupted in quantization")
    _state(work, epochs_done=10)
    assert start_run(spec, work, resume=False) is None
    assert (work / PREVIOUS_DIR / "mine.keras").read_bytes() == b"finished"
    assert not (work / "mine.keras").exists() and not (work / "state").exists()
    assert start_run(spec, work, resume=True) is None and (work / PREVIOUS_DIR).is_dir()  # resume moves nothing
    finish_run(work)
    assert not (work / PREVIOUS_DIR).exists() and json.loads((work / RUN_FILE).read_text())["finished"]


def test_the_report_reads_the_saved_state(tmp_path, monkeypatch):
    spec = _spec(tmp_path, monkeypatch)
    work = spec.work_dir()
    work.mkdir(parents=True)
    assert interruption_report(spec, work, "training", "harken train mine") == (
        "interrupted before the first epoch was saved: nothing to resume; 'harken train mine' starts again from "
        "epoch 1")
    _state(work, epochs_done=4, best_epoch=2, best_value=0.8125)
    (work / "best.weights.h5").write_bytes(b"w")
    assert interruption_report(spec, work, "training", "harken train mine") == (
        f"interrupted: epoch(s) 1-4 of 10 are saved in {work} (best: val_accuracy 0.8125, epoch 3, in "
        f"{work / 'best.weights.h5'}); 'harken train mine --resume' continues with epoch 5")
    _state(work, epochs_done=6, stopped=True)  # early stopping ended it: nothing left to train
    assert "'harken train mine --resume' finishes training" in interruption_report(spec, work, "training", "harken train mine")


def test_the_report_names_the_earlier_runs_files_and_ensemble_members(tmp_path, monkeypatch):
    spec = _spec(tmp_path, monkeypatch, ensemble_size=3)
    work = spec.work_dir()
    (work / PREVIOUS_DIR).mkdir(parents=True)
    spec.archive_path().write_bytes(b"zip")
    for member in (1, 2):
        (work / "members" / str(member)).mkdir(parents=True)
    (work / "members" / "1" / "member.keras").write_bytes(b"m")
    _state(work / "members" / "2", epochs_done=3)
    report = interruption_report(spec, work / "members" / "2", "training", "harken train mine").splitlines()
    assert report == [
        f"interrupted (ensemble member 2 of 3): epoch(s) 1-3 of 10 are saved in {work / 'members' / '2'}; "
        "'harken train mine --resume' continues with epoch 4",
        f"the last finished run's model and results are in {work / PREVIOUS_DIR}; {spec.archive_path()} is that "
        "run's archive (not this run's)"]
    assert interruption_report(spec, work, "training", "harken train mine").splitlines()[0] == (
        f"interrupted: ensemble member(s) 1-1 of 3 are trained and saved in {work / 'members'}; "
        "'harken train mine --resume' continues with member 2")


def test_a_killed_runs_temporary_files_go_and_others_stay(tmp_path, monkeypatch):
    from harken.training.leftovers import run_lock

    spec = _spec(tmp_path, monkeypatch)
    work = spec.work_dir()
    dead = [work / ".mine.keras.a1b2c3d4.keras", work / ".best.weights.h5.zz_9y8x7.weights.h5",
            work / "state" / ".epoch-00003.optimizer.npz.q1w2e3r4.npz", work / "state" / ".state.json.abcdefgh.tmp",
            work / "members" / "2" / ".member.keras.k9j8h7g6.keras",
            work / "members" / "2" / "state" / ".epoch-00001.weights.h5.m1n2b3v4.weights.h5"]
    kept = [work / ".mine.tflite.a1b2c3d4.tmp",  # harken quantize writes these without the lock
            work / ".notes", work / "state" / "epoch-00003.weights.h5", work / "mine.keras"]
    for path in dead + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    with run_lock(work):
        start_run(spec, work, resume=True)
    assert [p for p in dead if p.exists()] == [] and all(p.exists() for p in kept)


def test_a_killed_setting_aside_is_finished_by_the_next_run(tmp_path, monkeypatch):
    spec = _spec(tmp_path, monkeypatch)
    work = spec.work_dir()
    staging = work / ".previous.99999"  # killed after moving mine.keras, before mine.tflite and the rename
    staging.mkdir(parents=True)
    (staging / "mine.keras").write_bytes(b"keras")
    (work / "mine.tflite").write_bytes(b"tflite")
    (work / PREVIOUS_DIR).mkdir()
    (work / PREVIOUS_DIR / "mine.keras").write_bytes(b"an older run's")
    start_run(spec, work, resume=False)
    assert sorted(p.name for p in (work / PREVIOUS_DIR).iterdir()) == ["mine.keras", "mine.tflite"]
    assert (work / PREVIOUS_DIR / "mine.keras").read_bytes() == b"keras" and not staging.exists()


@pytest.mark.skipif(sys.platform == "win32", reason="the lock is an flock")
def test_a_second_run_of_the_same_model_is_refused_until_the_first_dies(tmp_path):
    from harken.errors import HarkenError
    from harken.training.leftovers import run_lock

    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from harken.training.leftovers import run_lock
        with run_lock(Path({str(tmp_path)!r})):
            print("locked", flush=True)
            time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(HarkenError, match="another harken process is training this model now"):
            with run_lock(tmp_path):
                pass
    finally:
        holder.kill()
        holder.wait()
    with run_lock(tmp_path):  # SIGKILL dropped the lock
        pass
