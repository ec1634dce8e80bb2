"""Build exported firmware on the host for the tests: TFLM once per session, then each application.

The TFLM library (core, the kernels of all test models, the microfrontend) is built by the exported
``cmake/`` project into a cache folder keyed on everything that decides its objects (the TFLM
sources, harken's cmake files, the kernel list, the compiler), so a rerun only checks it. The cache
is ``$HARKEN_TFLM_BUILD_CACHE`` or pytest's cache folder; a file lock keeps two sessions from
building it at once. Applications link that library (``-DHARKEN_TFLM_LIBRARY``): a few files each.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

TFLM_ENV = "HARKEN_TFLM_DIR"
CACHE_ENV = "HARKEN_TFLM_BUILD_CACHE"
_SOURCE_SUFFIXES = (".c", ".cc", ".h")


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")


def _generator() -> list[str]:
    return ["-G", "Ninja"] if shutil.which("ninja") else []


def library_key(tflm_dir: Path, cmake_dir: Path, kernels: list[str]) -> str:
    """sha256 over the TFLM sources and headers, harken's cmake files, the kernels and the compilers."""
    h = hashlib.sha256()
    for path in sorted(p for p in tflm_dir.rglob("*") if p.suffix in _SOURCE_SUFFIXES and p.is_file()):
        h.update(str(path.relative_to(tflm_dir)).encode() + b"\0" + path.read_bytes())
    for path in sorted(cmake_dir.iterdir()):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(";".join(kernels).encode())
    for tool in ("c++", "cc", "cmake"):
        h.update(subprocess.run([tool, "--version"], capture_output=True, text=True).stdout.encode())
    return h.hexdigest()


def build_tflm_library(tflm_dir: Path, cmake_dir: Path, kernels: list[str], cache_root: Path) -> Path:
    """The static TFLM library (built if the keyed cache folder does not have it yet)."""
    key = library_key(tflm_dir, cmake_dir, kernels)[:20]
    folder = cache_root / key
    cache_root.mkdir(parents=True, exist_ok=True)
    with open(cache_root / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        src, build = folder / "src", folder / "build"
        if not src.is_dir():
            shutil.copytree(cmake_dir, src)
        if not (build / "CMakeCache.txt").is_file():
            _run(["cmake", "-S", str(src), "-B", str(build), *_generator(), "-DCMAKE_BUILD_TYPE=Release",
                  f"-DFETCHCONTENT_SOURCE_DIR_TFLITE_MICRO={tflm_dir}", "-DFETCHCONTENT_FULLY_DISCONNECTED=ON",
                  f"-DHARKEN_TFLM_KERNELS={';'.join(kernels)}"])  # fmt: skip
        _run(["cmake", "--build", str(build), "-j", str(os.cpu_count() or 2)])
    library = build / "libtflm.a"
    assert library.is_file(), f"{library}: the TFLM build made no library"
    return library


def build_app(export_dir: Path, tflm_dir: Path, library: Path, target: str) -> Path:
    """Configure and build the exported application against the prebuilt library; its executable."""
    build = export_dir / "build"
    _run(["cmake", "-S", str(export_dir), "-B", str(build), *_generator(), "-DCMAKE_BUILD_TYPE=Release",
          f"-DFETCHCONTENT_SOURCE_DIR_TFLITE_MICRO={tflm_dir}", "-DFETCHCONTENT_FULLY_DISCONNECTED=ON",
          f"-DHARKEN_TFLM_LIBRARY={library}"])  # fmt: skip
    _run(["cmake", "--build", str(build), "-j", str(os.cpu_count() or 2)])
    return build / target
