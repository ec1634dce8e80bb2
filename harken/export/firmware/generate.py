"""``harken export``: write everything a firmware project needs for one model, atomically.

In: a model (spec name, .tflite or archive) and an output folder. Out: the folder, holding the model
as a C array, its op resolver, its settings header, ``manifest.json``, harken's firmware C code (DC
notch and int8 scaling around TFLM's microfrontend, the command recognizer, a wav reader), the
reference application ``main.cc`` and its ``CMakeLists.txt`` (with ``cmake/tflm.cmake``). With
``style="gecko"`` the vendor SDK's file names are written too. The files are written into a temporary
folder beside the target, which is then renamed: a failure leaves no half-written folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from harken.errors import SettingsError
from harken.export.firmware import headers
from harken.export.firmware.carray import gecko_model_files, model_data_files
from harken.export.firmware.cross_build import PLATFORM_FILES
from harken.export.firmware.model import FirmwareModel, load_firmware_model
from harken.export.firmware.ops import kernel_sources

STYLES = ("harken", "gecko")
#: harken's firmware sources, copied unchanged
C_SOURCES = ("harken_frontend.c", "harken_frontend.h", "harken_recognizer.c", "harken_recognizer.h",
             "harken_wav.c", "harken_wav.h", "cmake/tflm.cmake", "cmake/CMakeLists.txt")  # fmt: skip


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the folder, its files (relative paths) and the model read."""

    out: Path
    files: list[str]
    model: FirmwareModel

    @property
    def app_name(self) -> str:
        """The reference application's executable name (a CMake target)."""
        return f"{self.model.name}_app"


def c_source(name: str) -> str:
    """The text of one of harken's shipped firmware files (package data under ``firmware/c``)."""
    return resources.files("harken.export.firmware").joinpath("c", name).read_text(encoding="utf-8")


def firmware_files(m: FirmwareModel, *, style: str = "harken") -> dict[str, str]:
    """Every exported file's relative path and text (no files written)."""
    if style not in STYLES:
        raise SettingsError(f"style={style!r}: use one of {', '.join(STYLES)}")
    files = dict(model_data_files(m.data, m.name, m.source))
    files[f"{m.name}_op_resolver.h"] = headers.op_resolver_header(m)
    files[f"{m.name}_settings.h"] = headers.settings_header(m)
    for name in C_SOURCES:
        files[name] = c_source(name)
    for name in PLATFORM_FILES:
        files[name] = resources.files("harken.export.firmware").joinpath(name).read_text(encoding="utf-8")
    channels = m.frontend.filterbank_n_channels
    fill = {"@NAME@": m.name, "@SOURCE@": m.source, "@KERNELS@": ";".join(kernel_sources(m.ops)),
            "@OPS@": ", ".join(op.name for op in m.ops), "@FE_MAX_CHANNELS@": str(channels),
            "@FE_MAX_FB_WEIGHTS@": str(m.frontend.fft_length // 2 + 1 + 4 * (channels + 2))}  # fmt: skip
    for template, target in (("main.cc.in", "main.cc"), ("CMakeLists.txt.in", "CMakeLists.txt")):
        text = c_source(template)
        for key, value in fill.items():
            text = text.replace(key, value)
        files[target] = text
    if style == "gecko":
        files.update(gecko_model_files(m.data, m.source))
        files["sl_tflite_micro_opcode_resolver.h"] = headers.gecko_opcode_resolver_header(m)
        files["sl_tflite_micro_model_parameters.h"] = headers.gecko_parameters_header(m)
    files["manifest.json"] = headers.manifest(m, [*files, "manifest.json"])
    return files


def export_firmware(model: str | os.PathLike, out: str | os.PathLike, *, force: bool = False,
                    style: str = "harken", name: str | None = None) -> ExportResult:  # fmt: skip
    """Export ``model`` into the folder ``out`` (see the module docstring).

    Raises
    ------
    SettingsError
        ``out`` is a non-empty folder (or a file) and ``force`` is not set; an unknown ``style``.
    ModelFileError
        The model cannot run as firmware (see :func:`harken.export.firmware.model.load_firmware_model`).
    """
    out = Path(out).expanduser()
    if style not in STYLES:
        raise SettingsError(f"style={style!r}: use one of {', '.join(STYLES)}")
    _check_target(out, force)
    m = load_firmware_model(model, name=name)
    files = firmware_files(m, style=style)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for rel, text in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(text, encoding="utf-8")
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(out=out, files=sorted(files), model=m)


def _check_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise SettingsError(f"{out}: exists and is not a folder; give a folder for --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise SettingsError(f"{out}: the folder is not empty; pass --force to replace its contents")


def _replace_dir(new: Path, out: Path) -> None:
    """Put ``new`` at ``out``; an existing folder is moved aside first and removed after."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        os.rename(out, old / "dir")
    try:
        os.rename(new, out)
    except BaseException:
        if old is not None:
            os.rename(old / "dir", out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
