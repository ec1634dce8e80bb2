"""The Cortex-M33 platform: toolchain file, AN505 linker script and vector table, QEMU runner, image sizes.

A small TFLM program built with them runs the tiny model in qemu-system-arm -M mps2-an505 and must print the
int8 outputs harken's TFLM runner gives on the host. Needs HARKEN_TFLM_DIR (the local tflite-micro tree);
``HARKEN_M33_BUILD_DIR`` keeps the cross build between sessions (otherwise one build per test session).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from harken.errors import HarkenError
from harken.export.firmware import cross_build, qemu
from harken.runtime.runner import TfliteRunner

TINY = Path(__file__).parents[1] / "data" / "params" / "tiny_base.tflite"  # int8 CNN, 98x104x1 -> 3
MODEL_CHECK = Path(__file__).parent / "m33_model_check"
TFLM_DIR = os.environ.get("HARKEN_TFLM_DIR")


def build_dir(tmp_path_factory, name: str) -> Path:
    """Where a cross build lives: under $HARKEN_M33_BUILD_DIR when set (kept between sessions), else a temp dir."""
    root = os.environ.get("HARKEN_M33_BUILD_DIR")
    return Path(root) / name if root else tmp_path_factory.mktemp(name)


@pytest.fixture(scope="module")
def model_check_elf(tmp_path_factory) -> Path:
    if TFLM_DIR is None:
        pytest.skip("HARKEN_TFLM_DIR is not set: no local tflite-micro tree to cross-build")
    return cross_build.build(MODEL_CHECK, build_dir(tmp_path_factory, "m33-model-check"), target="model_check",
                             tflm_dir=TFLM_DIR)  # fmt: skip


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


@pytest.mark.slow
def test_tiny_model_on_the_emulated_m33_gives_the_host_tflm_outputs(model_check_elf, tmp_path):
    x = np.random.default_rng(0).integers(-128, 128, size=(4, 98, 104, 1)).astype(np.int8)
    (tmp_path / "inputs.bin").write_bytes(x.tobytes())
    run = qemu.run_qemu(model_check_elf, [str(TINY), "inputs.bin"], cwd=tmp_path, timeout_s=300)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith("output ")]
    on_m33 = np.array([[int(v) for v in line.split(":")[1].split()] for line in lines], dtype=np.int8)
    assert np.array_equal(on_m33, TfliteRunner(TINY.read_bytes(), interpreter="tflm").run(x))


@pytest.mark.slow
def test_firmware_exit_code_comes_back_through_qemu(model_check_elf, tmp_path):
    run = qemu.run_qemu(model_check_elf, [str(tmp_path / "missing.tflite"), "x.bin"], timeout_s=120)
    assert run.returncode == 2 and "cannot read" in run.stderr + run.stdout


@pytest.mark.slow
def test_image_size_counts_the_static_arena_in_bss(model_check_elf):
    size = cross_build.image_size(model_check_elf)
    assert size.bss >= (512 + 256) * 1024  # model buffer + arena of model_check.cc
    assert size.flash == size.text + size.data and size.ram == size.data + size.bss
    assert 50_000 < size.text < 1_000_000
