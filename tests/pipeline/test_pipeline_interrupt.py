"""Ctrl-C while worker processes make batches: a clean exit, no worker tracebacks, no orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent("""
    import faulthandler, os, signal, sys
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # the test asks for stacks if this hangs
    # Ctrl-C as under a terminal, even when the test run itself was started with SIGINT ignored
    # (nohup or a background job: Python then leaves SIGINT ignored, and children inherit that)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import numpy as np, soundfile as sf
    from harken.augment import Compose
    from harken.datasets.clips import LabeledClip
    from harken.frontend import FrontendSettings
    from harken.pipeline.batches import TrainingBatches
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    folder = sys.argv[1]
    clips = []
    for i in range(32):
        path = os.path.join(folder, f"s{i}_nohash_0.wav")
        sf.write(path, np.random.default_rng(i).standard_normal(8000) * 0.1, 8000, subtype="PCM_16")
        clips.append(LabeledClip(path, "on" if i % 2 else "off"))
    fe = FrontendSettings(sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=16,
                          filterbank_upper_band_limit=3900.0)
    data = TrainingBatches(clips, class_names=["on", "off"], frontend=fe, augmentation=Compose(),
                           batch_size=4, workers=2, use_multiprocessing=True)
    adapter = PyDatasetAdapter(data, shuffle=False)
    try:  # as harken.training.job: the workers start inside the try
        with data.worker_processes():
            iterator = adapter.get_numpy_iterator()
            next(iterator)
            print("ready", flush=True)
            while True:
                for _ in iterator:
                    pass
                adapter.on_epoch_end()
                iterator = adapter.get_numpy_iterator()
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
""")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to find worker processes")
def test_ctrl_c_stops_workers_without_orphans(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        workers = _children(proc.pid)
        while len(workers) < 2 and time.monotonic() < deadline:  # the pool starts its workers lazily
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert len(workers) >= 2
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # a hang: fail with every thread's stack, for the diagnosis
            os.kill(proc.pid, signal.SIGUSR1)
            time.sleep(3)
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            pytest.fail(f"no exit 60 s after Ctrl-C; workers {workers}; stacks:\n{err[-6000:]}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "interrupted" in out, (proc.returncode, out, err[-3000:])
    assert "Traceback" not in err, err[-2000:]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{w}") for w in workers):
        time.sleep(0.2)
    assert not [w for w in workers if os.path.exists(f"/proc/{w}")]


def _sigint_state(_) -> tuple[int, bool, bool]:
    """In a batch worker: its pid, whether Ctrl-C is ignored, whether it is still blocked."""
    time.sleep(0.05)  # so that every worker takes some of the probes
    blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    return os.getpid(), signal.getsignal(signal.SIGINT) is signal.SIG_IGN, blocked


def test_batch_workers_ignore_ctrl_c_and_the_parent_keeps_its_handler(tmp_path):
    import numpy as np
    import soundfile as sf

    from harken.augment import Compose
    from harken.datasets.clips import LabeledClip
    from harken.frontend import FrontendSettings
    from harken.pipeline.batches import TrainingBatches

    path = tmp_path / "a_nohash_0.wav"
    sf.write(path, np.zeros(8000), 8000, subtype="PCM_16")
    fe = FrontendSettings(sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=16,
                          filterbank_upper_band_limit=3900.0)
    data = TrainingBatches([LabeledClip(str(path), "on")], class_names=["on", "off"], frontend=fe,
                           augmentation=Compose(), batch_size=1, workers=2, use_multiprocessing=True)
    handler = signal.getsignal(signal.SIGINT)
    with data.worker_processes():
        states = list(data._pool.map(_sigint_state, range(16), chunksize=1))
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])  # the parent's mask is back
    assert len({pid for pid, _, _ in states}) == 2
    assert all(ignored and not blocked for _, ignored, blocked in states)
    assert signal.getsignal(signal.SIGINT) is handler


KILLED_PARENT = textwrap.dedent("""
    import os, sys, time, types
    import numpy as np, soundfile as sf
    import harken.pipeline.workers
    if sys.argv[2] == "watchdog":  # as on a system without prctl: the parent watchdog alone
        harken.pipeline.workers.sys = types.SimpleNamespace(platform="other")
    from harken.augment import Compose
    from harken.datasets.clips import LabeledClip
    from harken.frontend import FrontendSettings
    from harken.pipeline.batches import TrainingBatches

    path = os.path.join(sys.argv[1], "a_nohash_0.wav")
    sf.write(path, np.zeros(8000), 8000, subtype="PCM_16")
    fe = FrontendSettings(sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=16,
                          filterbank_upper_band_limit=3900.0)
    data = TrainingBatches([LabeledClip(path, "on")], class_names=["on", "off"], frontend=fe,
                           augmentation=Compose(), batch_size=1, workers=2, use_multiprocessing=True)
    with data.worker_processes():
        data[0]
        print("ready", flush=True)
        time.sleep(600)
""")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to find worker processes")
@pytest.mark.parametrize("guard", ["prctl", "watchdog"])
def test_batch_workers_die_when_their_parent_is_killed(tmp_path, guard):
    """kill -9 of the training process leaves no worker behind (each holds the clips: hundreds of MB)."""
    script = tmp_path / "run.py"
    script.write_text(KILLED_PARENT)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path), guard], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        workers = _children(proc.pid)
        assert len(workers) == 2
        proc.kill()  # SIGKILL: no Python code of the parent runs, so nothing closes the pool
        proc.wait()
        deadline = time.monotonic() + 5  # the back-up watchdog checks every second
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not [w for w in workers if _alive(w)]
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group: parent or workers
        except ProcessLookupError:
            pass
