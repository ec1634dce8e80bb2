"""Cross-build a firmware CMake project for the Cortex-M33 (AN505) and measure the linked image.

In: a CMake source folder that adds ``HARKEN_PLATFORM_SOURCES`` to its executable (the reference application
export writes, or any such project), a build folder, and the local TFLM tree when there is one. Out: the ELF
and its sizes from ``arm-none-eabi-size``. Uses the toolchain file and linker script in ``cortex_m33/``.
It does not run the image (``qemu.py`` does).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harken.errors import HarkenError

PLATFORM_DIR = Path(__file__).parent / "cortex_m33"
TOOLCHAIN_FILE = PLATFORM_DIR / "toolchain.cmake"
TOOLS = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "arm-none-eabi-g++": "gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib",
    "arm-none-eabi-size": "binutils-arm-none-eabi",
    "cmake": "cmake",
}


@dataclass(frozen=True)
class ImageSize:
    """Sizes of a linked image in bytes, as ``arm-none-eabi-size`` reports them (Berkeley format).

    ``text`` is code and read-only data, ``data`` initialised variables, ``bss`` zeroed variables (the
    tensor arena among them). On a chip, flash holds ``text + data`` and RAM ``data + bss``, the stack
    and heap come on top.
    """

    text: int
    data: int
    bss: int

    @property
    def flash(self) -> int:
        """Bytes the image needs in flash (code, constants, the model, initial values of data)."""
        return self.text + self.data

    @property
    def ram(self) -> int:
        """Bytes of static RAM (data + bss, the arena included); stack and heap not counted."""
        return self.data + self.bss


def check_toolchain() -> None:
    """Raise a one-line HarkenError naming the Debian packages when a cross tool is missing."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        packages = " ".join(dict.fromkeys(" ".join(TOOLS[t] for t in missing).split()))
        raise HarkenError(f"{', '.join(missing)} not found on PATH: install the Cortex-M toolchain "
                          f"(Debian/Ubuntu: apt install {packages})")  # fmt: skip


def _run(command: list[str], what: str, log: Path) -> None:
    """Run a build step; on failure raise HarkenError naming the step and the log holding its output."""
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    log.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
        raise HarkenError(f"{what} failed (exit {done.returncode}, full output in {log}): {last[0]}")


def build(source_dir: str | Path, build_dir: str | Path, *, target: str, tflm_dir: str | Path | None = None,
          defines: Mapping[str, str] | None = None, jobs: int | None = None) -> Path:  # fmt: skip
    """Configure (once) and build ``target`` of the CMake project for the Cortex-M33; return the ELF's path.

    ``tflm_dir`` is a local tflite-micro tree (``FETCHCONTENT_SOURCE_DIR_TFLITE_MICRO``); without it the
    project fetches TFLM itself. A second call reuses the build folder and rebuilds only what changed.
    """
    check_toolchain()
    source_dir, build_dir = Path(source_dir).resolve(), Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    settings = {"CMAKE_TOOLCHAIN_FILE": str(TOOLCHAIN_FILE), "CMAKE_BUILD_TYPE": "Release", **(defines or {})}
    if tflm_dir is not None:
        settings["FETCHCONTENT_SOURCE_DIR_TFLITE_MICRO"] = str(Path(tflm_dir).resolve())
    configure = ["cmake", "-S", str(source_dir), "-B", str(build_dir), *(f"-D{k}={v}" for k, v in settings.items())]
    _run(configure, f"configuring {source_dir} for the Cortex-M33", build_dir / "configure.log")
    jobs = jobs or os.cpu_count() or 1
    _run(["cmake", "--build", str(build_dir), "--target", target, "-j", str(jobs)],
         f"building {target} for the Cortex-M33", build_dir / "build.log")  # fmt: skip
    elf = build_dir / f"{target}.elf"
    return elf if elf.is_file() else build_dir / target


def image_size(elf: str | Path) -> ImageSize:
    """``arm-none-eabi-size`` of a linked ELF: text, data and bss in bytes."""
    check_toolchain()
    done = subprocess.run(["arm-none-eabi-size", "-B", str(elf)], capture_output=True, text=True)
    match = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise HarkenError(f"{elf}: arm-none-eabi-size cannot read it: {done.stderr.strip()}")
    return ImageSize(*map(int, match.groups()))
