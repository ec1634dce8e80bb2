"""The reference application on an emulated Cortex-M33: cross-built with the exported toolchain file, run in
qemu-system-arm -M mps2-an505 with semihosting, it must print what the host build and harken's device loop
print, and its linked image must hold the model and the arena.

The TFLM library is cross-built once (cached like the host one: ``$HARKEN_TFLM_BUILD_CACHE`` or pytest's
cache, keyed on the sources, harken's cmake files, the toolchain file and the cross compiler). The builds
skip with a one-line reason only when ``$HARKEN_TFLM_DIR`` is unset (see conftest.py).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from harken.errors import HarkenError
from harken.export.firmware import cross_build, qemu
from tests.export.conftest import FIRMWARE_MODELS
from tests.export.firmware_build import CACHE_ENV, library_key
from tests.export.test_firmware_parity import CASES, _real_clips, _run_app, _stream

# quickstart at its default hop; quickstart firing; small CNN (another front end) firing; the model run only on
# activity; the volume gain overridden
M33_CASES = [CASES[0], CASES[1], CASES[3], CASES[6], CASES[5]]


@pytest.fixture(scope="session")
def m33_tflm_library(tflm_dir, firmware_exports, request) -> Path:
    """libtflm.a cross-built for the Cortex-M33 with the kernels of every test model (cached)."""
    from harken.export.firmware.ops import kernel_sources

    kernels = kernel_sources([op for result in firmware_exports.values() for op in result.model.ops])
    export = next(iter(firmware_exports.values())).out
    key = hashlib.sha256(library_key(tflm_dir, export / "cmake", kernels).encode()
                         + (export / cross_build.PLATFORM_FILES[0]).read_bytes()
                         + subprocess.run(["arm-none-eabi-g++", "--version"], capture_output=True).stdout)  # fmt: skip
    root = Path(os.environ[CACHE_ENV]) if os.environ.get(CACHE_ENV) else request.config.cache.mkdir("harken-tflm")
    folder = root / f"cortex-m33-{key.hexdigest()[:20]}"
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "src").is_dir():  # the sources outlive this session's export folder
            shutil.copytree(export / "cmake", folder / "src")
            shutil.copytree(export / "cortex_m33", folder / "cortex_m33")
        cross_build.build(folder / "src", folder / "build", target="tflm", tflm_dir=tflm_dir,
                          toolchain=folder / cross_build.PLATFORM_FILES[0],
                          defines={"HARKEN_TFLM_KERNELS": ";".join(kernels)})  # fmt: skip
    return folder / "build" / "libtflm.a"


@pytest.fixture(scope="session")
def m33_apps(tflm_dir, m33_tflm_library, firmware_exports) -> dict[str, cross_build.CrossBuild]:
    """The reference application of each test model cross-built for the Cortex-M33: {name: CrossBuild}."""
    return {name: cross_build.build_exported_app(result.out, tflm_dir=tflm_dir, tflm_library=m33_tflm_library)
            for name, result in firmware_exports.items()}  # fmt: skip


def _run_m33(elf: Path, wav: Path, tmp: Path, *options: str) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, int]:
    """(detection lines, times, scores, windows, arena bytes used) from the application in QEMU."""
    run = qemu.run_qemu(elf, ["--dump-windows", "w.bin", "--dump-scores", "s.csv", *options,
                              os.path.relpath(wav, tmp)], cwd=tmp, timeout_s=600)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    rows = np.loadtxt(tmp / "s.csv", delimiter=",", dtype=np.int64, ndmin=2)
    windows = np.fromfile(tmp / "w.bin", dtype=np.int8)
    # semihosting sends the firmware's stdout and stderr to QEMU's stdout
    lines = [line for line in run.stdout.splitlines() if line.startswith("Detected ")]
    arena = int(re.search(r"arena_used_bytes=(\d+)", run.stdout + run.stderr).group(1))
    return lines, rows[:, 0], rows[:, 1:], windows, arena


def test_qemu_command_escapes_commas_in_semihosting_arguments():
    command = qemu.qemu_command("a.elf", ["x,y.wav"], qemu="qemu-system-arm")
    assert command[command.index("-semihosting-config") + 1] == "enable=on,target=native,arg=a.elf,arg=x,,y.wav"
    assert command[1:3] == ["-M", "mps2-an505"]


def test_missing_cross_tools_name_the_debian_packages(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(HarkenError, match="apt install gcc-arm-none-eabi libnewlib-arm-none-eabi"):
        cross_build.check_toolchain()
    with pytest.raises(HarkenError, match="apt install qemu-system-arm"):
        qemu.find_qemu()


def test_missing_firmware_image_is_a_one_line_error(tmp_path):
    with pytest.raises(HarkenError, match="no such firmware image"):
        qemu.run_qemu(tmp_path / "none.elf")


def test_a_command_line_longer_than_newlibs_buffer_is_refused(tmp_path):
    (tmp_path / "app").write_bytes(b"")
    with pytest.raises(HarkenError, match="relative to the working folder"):
        qemu.run_qemu(tmp_path / "app", ["x" * 251])


def test_a_folder_that_is_not_an_export_is_a_one_line_error(tmp_path):
    with pytest.raises(HarkenError, match="not a harken export folder"):
        cross_build.build_exported_app(tmp_path)


FAULTING_PROGRAM = """#include <stdio.h>
int main(int argc, char** argv) {
  printf("argc=%d argv0=%s\\n", argc, argv[0]);
  fflush(stdout);
  *(volatile unsigned*)0xF0000000u = 1u; /* no memory there: a bus fault */
  printf("not reached\\n");
  return 0;
}
"""


@pytest.mark.slow
def test_a_fault_stops_qemu_with_exit_code_1_instead_of_hanging(tflm_dir, tmp_path):
    (tmp_path / "fault.c").write_text(FAULTING_PROGRAM)
    (tmp_path / "CMakeLists.txt").write_text("cmake_minimum_required(VERSION 3.18)\nproject(fault C)\n"
                                             "add_executable(fault fault.c ${HARKEN_PLATFORM_SOURCES})\n")  # fmt: skip
    elf = cross_build.build(tmp_path, tmp_path / "build", target="fault")
    run = qemu.run_qemu(elf, timeout_s=60)
    assert run.returncode == 1
    assert "argc=1 argv0=fault" in run.stdout and "not reached" not in run.stdout
    assert "Cortex-M33 fault" in run.stdout + run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("which,hop_ms,options,overrides", M33_CASES,
                         ids=[f"{c[0]}-hop{c[1] or 'default'}" for c in M33_CASES])
def test_emulated_m33_equals_the_host_build_and_harken(which, hop_ms, options, overrides, firmware_models, m33_apps,
                                                       firmware_apps, tflm_dir, tmp_path):  # fmt: skip
    import dataclasses

    import soundfile as sf

    from harken.streaming.loop import run_device_loop
    from harken.streaming.model import load_stream_model

    model = load_stream_model(firmware_models[which], interpreter="tflm")
    audio = _stream(which, model.frontend.sample_rate_hz, _real_clips(tflm_dir))
    sf.write(tmp_path / "stream.wav", audio, model.frontend.sample_rate_hz, subtype="PCM_16")
    hop = hop_ms or model.hop_ms
    args = ("--hop-ms", str(hop), *options)
    (tmp_path / "m33").mkdir()
    (tmp_path / "host").mkdir()
    m33 = _run_m33(m33_apps[which].elf, tmp_path / "stream.wav", tmp_path / "m33", *args)
    host = _run_app(firmware_apps[which], tmp_path / "stream.wav", tmp_path / "host", *args)
    recognizer = dataclasses.replace(model.recognizer, **{k: v for k, v in overrides.items() if k != "volume_gain"})
    expected = run_device_loop(model, audio, hop_ms=hop, recognizer=recognizer,
                               volume_gain=overrides.get("volume_gain"))  # fmt: skip
    lines, times, scores, windows, arena = m33
    assert lines == host[0] == [d.line() for d in expected.detections]
    assert np.array_equal(times, host[1]) and np.array_equal(times, expected.scores.times_ms)
    assert np.array_equal(scores, host[2]) and np.array_equal(scores, expected.scores.scores)
    assert np.array_equal(windows, host[3])
    if overrides:
        assert expected.detections, "the case is meant to fire: lower its threshold"
    # 32-bit pointers: TFLM on the M33 uses less arena than on the 64-bit host, within the exported size
    assert arena < host[4] <= json.loads((m33_apps[which].elf.parents[1] / "manifest.json").read_text())[
        "arena"]["size_bytes"]


@pytest.mark.slow
def test_m33_image_holds_the_model_in_flash_and_the_declared_arena_in_ram(m33_apps, firmware_exports,
                                                                          firmware_models):  # fmt: skip
    for name, app in m33_apps.items():
        manifest = json.loads((firmware_exports[name].out / "manifest.json").read_text())
        model_bytes = firmware_models[name].stat().st_size
        assert app.arena_bytes == manifest["arena"]["size_bytes"]
        assert app.size.bss >= app.arena_bytes and app.size.ram == app.size.data + app.size.bss
        assert model_bytes < app.size.text < model_bytes + 400_000  # TFLM core + the model's kernels + front end


def _cli(*args: str):
    import typer
    from typer.testing import CliRunner

    from harken.cli import export

    app = typer.Typer()
    export.register(app)
    app.command("unused")(lambda: None)  # two commands: typer keeps "export" as a sub-command name
    return CliRunner().invoke(app, ["export", *args])


def test_export_refuses_an_unknown_target_before_writing(tmp_path):
    result = _cli(str(FIRMWARE_MODELS["small_cnn"]), "--out", str(tmp_path / "fw"), "--target", "cortex-m4")
    assert result.exit_code != 0 and "cortex-m33-qemu" in str(result.exception)
    assert not (tmp_path / "fw").exists()


def test_export_for_the_m33_without_the_toolchain_names_the_packages_before_writing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    result = _cli(str(FIRMWARE_MODELS["small_cnn"]), "--out", str(tmp_path / "fw"), "--target", "cortex-m33-qemu")
    assert isinstance(result.exception, HarkenError) and "apt install" in str(result.exception)
    assert not (tmp_path / "fw").exists()


@pytest.mark.slow
def test_export_target_cortex_m33_qemu_builds_runs_and_prints_harkens_detections(tflm_dir, m33_tflm_library,
                                                                                  tmp_path):  # fmt: skip
    import soundfile as sf

    from harken.export.tflite import read_params, write_params
    from harken.streaming.loop import run_device_loop
    from harken.streaming.model import load_stream_model

    params = {k: v for k, v in read_params(FIRMWARE_MODELS["quickstart"]).items() if k != "detection_threshold_list"}
    model = tmp_path / "firing.tflite"  # the quickstart test model with a threshold it reaches
    model.write_bytes(write_params(FIRMWARE_MODELS["quickstart"], {**params, "detection_threshold": 140,
                                                                   "minimum_count": 1}))  # fmt: skip
    audio = _stream("quickstart", 16000, _real_clips(tflm_dir))
    sf.write(tmp_path / "stream.wav", audio, 16000, subtype="PCM_16")
    result = _cli(str(model), "--out", str(tmp_path / "fw"), "--target", "cortex-m33-qemu", "--tflm-dir",
                  str(tflm_dir), "--tflm-library", str(m33_tflm_library), "--run", str(tmp_path / "stream.wav"))
    assert result.exit_code == 0, result.output
    expected = run_device_loop(load_stream_model(model, interpreter="tflm"), audio).detections
    assert expected and [line for line in result.stdout.splitlines() if line.startswith("Detected ")] == [
        d.line() for d in expected]
    assert re.search(r"cortex-m33-qemu: .*: flash \d+ B .* RAM \d+ B", result.stdout)
