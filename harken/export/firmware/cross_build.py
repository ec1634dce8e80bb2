"""Cross-build a firmware CMake project for the Cortex-M33 (Arm's AN505 board) and measure the linked image.

In: a CMake source folder whose executable links ``HARKEN_PLATFORM_SOURCES`` (the reference application
``harken export`` writes does), a build folder, and the local TFLM tree when there is one. Out: the ELF and
its sizes from ``arm-none-eabi-size``. The toolchain file, linker script and vector table are in
``cortex_m33/`` (export copies them into its folder). It does not run the image: ``qemu.py`` does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harken.errors import HarkenError

TARGET = "cortex-m33-qemu"
PLATFORM_DIR = Path(__file__).parent / "cortex_m33"
TOOLCHAIN_FILE = PLATFORM_DIR / "toolchain.cmake"
#: the platform files, relative to this package (and to an export folder, which gets copies)
PLATFORM_FILES = ("cortex_m33/toolchain.cmake", "cortex_m33/an505.ld", "cortex_m33/an505_startup.c")
BUILD_FOLDER = "build-cortex-m33"
TOOLS = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "arm-none-eabi-g++": "gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib",
    "arm-none-eabi-size": "binutils-arm-none-eabi",
    "arm-none-eabi-nm": "binutils-arm-none-eabi",
    "cmake": "cmake",
}


@dataclass(frozen=True)
class ImageSize:
    """Sizes of a linked image in bytes, as ``arm-none-eabi-size`` reports them (Berkeley format).

    ``text`` is code and read-only data (the model among them), ``data`` initialised variables, ``bss``
    zeroed variables (the tensor arena among them). On a chip, flash holds ``text + data`` and RAM
    ``data + bss``; the stack and the heap come on top.
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


@dataclass(frozen=True)
class CrossBuild:
    """A built firmware image: the ELF, its sizes and the static tensor arena inside its bss."""

    elf: Path
    size: ImageSize
    arena_bytes: int | None


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
        errors = [line for line in (done.stdout + done.stderr).splitlines() if "error" in line.lower()]
        raise HarkenError(f"{what} failed (exit {done.returncode}; full output in {log}): "
                          f"{(errors or ['no error line'])[0].strip()}")  # fmt: skip


def build(source_dir: str | Path, build_dir: str | Path, *, target: str, tflm_dir: str | Path | None = None,
          toolchain: str | Path = TOOLCHAIN_FILE, defines: Mapping[str, str] | None = None,
          jobs: int | None = None) -> Path:  # fmt: skip
    """Configure and build ``target`` of the CMake project for the Cortex-M33; return the ELF's path.

    ``tflm_dir`` is a local tflite-micro tree (``FETCHCONTENT_SOURCE_DIR_TFLITE_MICRO``); without it the
    project fetches TFLM itself. A second call reuses the build folder and rebuilds only what changed.
    """
    check_toolchain()
    source_dir, build_dir = Path(source_dir).resolve(), Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)
    settings = {"CMAKE_TOOLCHAIN_FILE": str(Path(toolchain).resolve()), "CMAKE_BUILD_TYPE": "Release",
                **(defines or {})}  # fmt: skip
    if tflm_dir is not None:
        settings["FETCHCONTENT_SOURCE_DIR_TFLITE_MICRO"] = str(Path(tflm_dir).resolve())
        settings["FETCHCONTENT_FULLY_DISCONNECTED"] = "ON"
    configure = ["cmake", "-S", str(source_dir), "-B", str(build_dir), *(f"-D{k}={v}" for k, v in settings.items())]
    _run(configure, f"configuring {source_dir} for the Cortex-M33", build_dir / "configure.log")
    jobs = jobs or os.cpu_count() or 1
    _run(["cmake", "--build", str(build_dir), "--target", target, "-j", str(jobs)],
         f"building {target} for the Cortex-M33", build_dir / "build.log")  # fmt: skip
    return build_dir / target


def image_size(elf: str | Path) -> ImageSize:
    """``arm-none-eabi-size`` of a linked ELF: text, data and bss in bytes."""
    check_toolchain()
    done = subprocess.run(["arm-none-eabi-size", "-B", str(elf)], capture_output=True, text=True)
    match = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise HarkenError(f"{elf}: arm-none-eabi-size cannot read it: {done.stderr.strip()}")
    return ImageSize(*map(int, match.groups()))


def symbol_bytes(elf: str | Path, name: str) -> int | None:
    """Size of the first symbol whose (demangled) name contains ``name``, from ``arm-none-eabi-nm``."""
    done = subprocess.run(["arm-none-eabi-nm", "-S", "-C", str(elf)], capture_output=True, text=True)
    for line in done.stdout.splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4 and name in parts[3]:
            return int(parts[1], 16)
    return None


def build_exported_app(export_dir: str | Path, *, tflm_dir: str | Path | None = None,
                       build_dir: str | Path | None = None, tflm_library: str | Path | None = None,
                       jobs: int | None = None) -> CrossBuild:  # fmt: skip
    """Cross-build the reference application of a ``harken export`` folder for the Cortex-M33.

    Uses the folder's own ``cortex_m33/toolchain.cmake``; builds into ``<export_dir>/build-cortex-m33``
    unless ``build_dir`` is given. ``tflm_library`` links a TFLM library cross-built before instead.
    """
    export_dir = Path(export_dir)
    manifest = export_dir / "manifest.json"
    toolchain = export_dir / PLATFORM_FILES[0]
    if not manifest.is_file() or not toolchain.is_file():
        raise HarkenError(f"{export_dir}: not a harken export folder with {PLATFORM_FILES[0]} "
                          "(run harken export MODEL --out FOLDER first)")  # fmt: skip
    target = f"{json.loads(manifest.read_text())['name']}_app"
    defines = {"HARKEN_TFLM_LIBRARY": str(Path(tflm_library).resolve())} if tflm_library else {}
    elf = build(export_dir, build_dir or export_dir / BUILD_FOLDER, target=target, tflm_dir=tflm_dir,
                toolchain=toolchain, defines=defines, jobs=jobs)  # fmt: skip
    return CrossBuild(elf, image_size(elf), symbol_bytes(elf, "g_arena"))
