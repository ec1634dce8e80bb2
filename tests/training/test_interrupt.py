"""Ctrl-C and kill during a run: what is said is what is saved, and a fresh run never mixes with the last one."""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import time
import types

import pytest
import typer
from typer.testing import CliRunner

from harken.training import job
from harken.training.fit import fit
from harken.training.resume import saved_state
from harken.training.runs import PREVIOUS_DIR, RUN_FILE, interruption_report
from tests.training.test_train import InterruptAt, tiny_data, tiny_spec

pytestmark = [pytest.mark.slow,  # every test here trains a (tiny) model
              pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")]


@pytest.fixture
def ctrl_c_raises():
    """Python's own Ctrl-C handler, even when the test run was started with SIGINT ignored (nohup, a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_while_an_epoch_is_saved_counts_only_saved_epochs(tmp_path, monkeypatch, ctrl_c_raises):
    """A real SIGINT in the middle of epoch 2's save: the epoch is saved whole and counted, or neither."""
    from harken.training import callbacks

    real_save = callbacks.save_state

    def save_with_ctrl_c(work_dir, model, state):
        if state["epochs_done"] == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Python raises KeyboardInterrupt at its next line
        real_save(work_dir, model, state)

    monkeypatch.setattr(callbacks, "save_state", save_with_ctrl_c)
    spec = tiny_spec(epochs=5)
    result = fit(spec, tiny_data(spec), work_dir=tmp_path)
    assert result.interrupted
    assert result.epochs_done == saved_state(tmp_path)["epochs_done"] == 2
    resumed = fit(spec, tiny_data(spec), work_dir=tmp_path, resume=True)
    assert resumed.epochs_done == 5 and len(resumed.history["loss"]) == 5


def _cli_app(tmp_path, monkeypatch, *, interrupt_at=None):
    """The model commands on an in-memory stand-in for the data; ``interrupt_at`` = (epoch, batch) for Ctrl-C."""
    from harken.cli.model import register
    from tests.cli.test_train_cli import SPEC

    monkeypatch.setitem(sys.modules, "harken.pipeline.data", types.SimpleNamespace(
        build_training_data=lambda spec, **kwargs: tiny_data(spec)))
    callbacks = [InterruptAt(*interrupt_at, KeyboardInterrupt())] if interrupt_at else None
    monkeypatch.setattr(job, "fit", functools.partial(fit, callbacks=callbacks))
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    (tmp_path / "tinycli.py").write_text(SPEC)
    monkeypatch.chdir(tmp_path)
    app = typer.Typer()
    register(app)
    return app


def test_train_says_what_is_saved_and_what_resume_will_do(tmp_path, monkeypatch):
    app = _cli_app(tmp_path, monkeypatch, interrupt_at=(0, 2))  # in the first epoch: nothing saved yet
    result = CliRunner().invoke(app, ["train", "tinycli", "--quiet"])
    assert result.exit_code == 130
    assert ("interrupted before the first epoch was saved: nothing to resume; 'harken train tinycli' starts "
            "again from epoch 1") in result.output
    assert "best weights" not in result.output

    app = _cli_app(tmp_path, monkeypatch, interrupt_at=(1, 2))  # in the second epoch: the first is saved
    result = CliRunner().invoke(app, ["train", "tinycli", "--quiet"])
    work = tmp_path / "home" / "models" / "tinycli"
    assert result.exit_code == 130 and saved_state(work)["epochs_done"] == 1
    assert f"interrupted: epoch(s) 1-1 of 20 are saved in {work} (best: val_accuracy " in result.output
    assert "'harken train tinycli --resume' continues with epoch 2" in result.output


def test_ctrl_c_while_the_data_is_made_changes_nothing_and_says_so(tmp_path, monkeypatch, ctrl_c_raises):
    app = _cli_app(tmp_path, monkeypatch)

    def data_then_ctrl_c(spec, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)

    monkeypatch.setitem(sys.modules, "harken.pipeline.data", types.SimpleNamespace(build_training_data=data_then_ctrl_c))
    result = CliRunner().invoke(app, ["train", "tinycli", "--quiet"])
    work = tmp_path / "home" / "models" / "tinycli"
    assert result.exit_code == 130
    assert result.output.strip() == f"interrupted before training started; nothing in {work} was changed"


def test_a_fresh_run_sets_the_last_finished_run_aside_until_it_finishes(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))
    spec = tiny_spec(name="tiny-run", epochs=2)
    work = spec.work_dir()
    first = job.train(spec, data=tiny_data(spec))
    outputs = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert first.archive_path.name in outputs and json.loads(outputs[RUN_FILE])["finished"]

    monkeypatch.setattr(job, "fit", functools.partial(fit, callbacks=[InterruptAt(1, 2, KeyboardInterrupt())]))
    for _ in range(2):  # an interrupted run is not a finished one: the second keeps the first run aside
        interrupted = job.train(spec, data=tiny_data(spec))
        assert interrupted.interrupted == "training"
        previous = work / PREVIOUS_DIR
        assert {p.name: p.read_bytes() for p in previous.iterdir() if p.is_file()} == outputs
        assert not [p for p in ("tiny-run.keras", "tiny-run.tflite", "validation_results.json",
                                first.archive_path.name) if (work / p).exists()]
        assert json.loads((work / RUN_FILE).read_text())["finished"] is None
    report = interruption_report(spec, work, "training", "harken train tiny-run")
    assert f"the last finished run's model and results are in {previous} (not this run's)" in report

    monkeypatch.setattr(job, "fit", fit)
    resumed = job.train(spec, data=tiny_data(spec), resume=True)
    assert resumed.interrupted is None and resumed.fit.epochs_done == 2
    assert not previous.exists() and json.loads((work / RUN_FILE).read_text())["finished"]


def test_ctrl_c_in_quantization_always_stops_it_and_changes_nothing(tmp_path, monkeypatch, ctrl_c_raises):
    """TensorFlow has caught the KeyboardInterrupt and finished the conversion: harken raises it again."""
    from harken.export import quantize

    app = _cli_app(tmp_path, monkeypatch)
    assert CliRunner().invoke(app, ["train", "tinycli-test", "--quiet"]).exit_code == 0
    work = tmp_path / "home" / "models" / "tinycli-test"
    outputs = [work / "tinycli-test.tflite", work / "tinycli-test.float32.tflite", tmp_path / "tinycli-test.harken.zip"]
    before = [p.read_bytes() for p in outputs]
    real_convert = quantize.convert_float

    def convert_swallowing_ctrl_c(model):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:  # as a library might: caught and dropped
            pass
        return real_convert(model)

    monkeypatch.setattr(quantize, "convert_float", convert_swallowing_ctrl_c)
    result = CliRunner().invoke(app, ["quantize", "tinycli-test"])
    assert result.exit_code == 130
    assert result.output.strip() == "interrupted: no file was changed; run 'harken quantize tinycli-test' again"
    assert [p.read_bytes() for p in outputs] == before

    result = CliRunner().invoke(app, ["train", "tinycli-test", "--quiet", "--resume"])  # in train's quantization
    assert result.exit_code == 130
    assert (f"interrupted during quantization and evaluation: training had finished and is saved in {work}; "
            "'harken train tinycli-test --resume' goes on from there without training again") in result.output
    assert [p.read_bytes() for p in outputs] == before


SIGNAL_SPEC = '''\
"""Tiny model trained through the real pipeline, for the Ctrl-C tests."""
import harken
from harken.frontend import FrontendSettings
from harken.spec import DatasetSource, ModelSettings, QuantizationSettings, TrainingSettings

spec = harken.ModelSpec(
    classes=("on", "off", "_unknown_"),
    datasets=[DatasetSource(directory={clips!r}, validation_percentage=25.0, testing_percentage=0.0)],
    frontend=FrontendSettings(sample_rate_hz=8000, sample_length_ms=250, window_size_ms=30, window_step_ms=20,
                              filterbank_n_channels=8, filterbank_upper_band_limit=3999.0),
    model=ModelSettings(architecture="cnn", options={{"filters": 4}}),
    training=TrainingSettings(epochs=50, batch_size=4),
    quantization=QuantizationSettings(num_representative_samples=8),
)
'''


class Run:
    """``harken train`` in a subprocess of its own process group, Ctrl-C as a terminal sends it, stderr read live."""

    def __init__(self, folder, *args):
        import subprocess
        import threading

        env = dict(os.environ, HARKEN_HOME=str(folder / "home"), TF_CPP_MIN_LOG_LEVEL="3",
                   PYTHONPATH=os.pathsep.join([os.getcwd(), *sys.path]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harken", "train", "tinysig", "--workers", "2", *args], cwd=folder, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # even under nohup
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stderr.readline, "")),
                                       daemon=True)
        self.reader.start()

    def wait_for(self, prefix: str, timeout: float = 240) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            found = [line for line in self.lines if line.startswith(prefix)]
            if found:
                return found[0]
            time.sleep(0.05)
        pytest.fail(f"no line {prefix!r}; stderr:\n{''.join(self.lines)[-3000:]}")

    def ctrl_c(self) -> str:
        """Send Ctrl-C to the group; the run's stderr once it has exited."""
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=120)
        finally:
            self.kill()
        self.reader.join(10)
        return "".join(self.lines)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs process groups")
def test_a_real_ctrl_c_after_an_epoch_line_is_told_truthfully_and_resume_does_what_it_said(tmp_path):
    import re

    import numpy as np
    import soundfile as sf

    rng = np.random.default_rng(0)
    for k, word in enumerate(["on", "off", "yes"]):
        (tmp_path / "clips" / word).mkdir(parents=True)
        for speaker in range(12):
            clip = np.sin(2 * np.pi * (300 + 400 * k) * np.arange(2000) / 8000) * 0.3 + rng.standard_normal(2000) * 0.01
            sf.write(tmp_path / "clips" / word / f"{speaker:04x}{k:02x}_nohash_0.wav", clip, 8000, subtype="PCM_16")
    (tmp_path / "tinysig.py").write_text(SIGNAL_SPEC.format(clips=str(tmp_path / "clips")))
    work = tmp_path / "home" / "models" / "tinysig"

    run = Run(tmp_path)
    try:
        run.wait_for("epoch 2/50")
        time.sleep(0.3)  # as in the report: Ctrl-C 0.3 s after an epoch line
        err = run.ctrl_c()
    finally:
        run.kill()
    assert run.proc.returncode == 130 and "Traceback" not in err, err[-3000:]
    done = saved_state(work)["epochs_done"]
    assert done >= 2  # the epoch line is printed once the epoch is saved
    assert f"interrupted: epoch(s) 1-{done} of 50 are saved in {work}" in err
    assert f"'harken train tinysig --resume' continues with epoch {done + 1}" in err

    resumed = Run(tmp_path, "--resume")
    try:
        first = resumed.wait_for("epoch ")
        err = resumed.ctrl_c()
    finally:
        resumed.kill()
    assert re.match(rf"epoch {done + 1}/50:", first), first  # it continued where the message said
    assert resumed.proc.returncode == 130 and "Traceback" not in err, err[-3000:]
    assert f"of 50 are saved in {work}" in err
