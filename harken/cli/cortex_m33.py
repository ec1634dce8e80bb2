"""``harken export ... --target cortex-m33-qemu``: cross-build the exported application and run it in QEMU.

Thin: check the tools, call :mod:`harken.export.firmware.cross_build` and :mod:`harken.export.firmware.qemu`,
print the image's flash and RAM and, with ``--run``, the firmware's detection lines.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

TARGETS = ("host", "cortex-m33-qemu")


def check_target(target: str, run: Path | None) -> None:
    """Before anything is written: a known target, and the cross tools (and QEMU for ``--run``) installed."""
    from harken.errors import SettingsError
    from harken.export.firmware import cross_build, qemu

    if target not in TARGETS:
        raise SettingsError(f"--target {target!r}: use one of {', '.join(TARGETS)}")
    if run is not None and target == "host":
        raise SettingsError("--run needs --target cortex-m33-qemu (run the host build yourself: build/NAME_app WAV)")
    if target == "cortex-m33-qemu":
        cross_build.check_toolchain()
        if run is not None:
            qemu.find_qemu()


def build_and_run(out: Path, *, tflm_dir: Path | None, tflm_library: Path | None, run: Path | None) -> None:
    """Cross-build the export in ``out`` for the Cortex-M33, print its sizes, run it on ``run`` if given."""
    from harken.errors import HarkenError
    from harken.export.firmware.cross_build import build_exported_app
    from harken.export.firmware.qemu import qemu_command, run_qemu

    tflm_dir = tflm_dir or (Path(os.environ["HARKEN_TFLM_DIR"]) if os.environ.get("HARKEN_TFLM_DIR") else None)
    typer.echo("building for the Cortex-M33 (arm-none-eabi-gcc; TFLM is compiled unless --tflm-library)...", err=True)
    built = build_exported_app(out, tflm_dir=tflm_dir, tflm_library=tflm_library)
    s = built.size
    typer.echo(f"cortex-m33-qemu: {built.elf}: flash {s.flash} B (text {s.text} + data {s.data}), "
               f"RAM {s.ram} B (data + bss, the {built.arena_bytes} B tensor arena included; stack and heap apart)")
    if run is None:
        typer.echo(f"run: {' '.join(qemu_command(built.elf, ['AUDIO.wav']))}")
        return
    if not run.is_file():
        raise HarkenError(f"{run}: no such audio file for --run")
    result = run_qemu(built.elf, [run.name], cwd=run.resolve().parent, timeout_s=3600)
    typer.echo(result.stdout, nl=False)
    typer.echo(result.stderr, nl=False, err=True)  # the firmware's stderr (semihosting) and QEMU's messages
    if result.returncode != 0:
        raise HarkenError(f"{run}: the firmware stopped with exit code {result.returncode} in QEMU")
