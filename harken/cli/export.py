"""``harken export MODEL --out DIR``: the firmware files of a model and a reference application.

Thin: parse, call :func:`harken.export.firmware.generate.export_firmware`, print what was written.
TensorFlow is never imported (the model is read with LiteRT and tflite-micro).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the export command to ``app``."""
    app.command("export", epilog="Examples:\n\n  harken export on_off_offline --out firmware/\n\n"
                "  harken export model.tflite --out firmware/ --style gecko --force\n\n"
                "  harken export model.tflite --out firmware/ --target cortex-m33-qemu --run clip.wav")(export_command)


def export_command(
    model: Annotated[str, typer.Argument(metavar="MODEL", help="A spec name, a .tflite or a .harken.zip archive.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write (must be empty or absent).")],
    force: Annotated[bool, typer.Option("--force", help="Replace the contents of a non-empty --out folder.")] = False,
    style: Annotated[str, typer.Option(help="harken, or gecko: also the vendor SDK's sl_tflite_micro_* files.")] = "harken",
    name: Annotated[Optional[str], typer.Option(help="C name of the model (default: its embedded name).")] = None,
    target: Annotated[str, typer.Option(help="host (write the files), or cortex-m33-qemu: also cross-build the "
                                        "application for a Cortex-M33 (arm-none-eabi-gcc) and report its size.")] = "host",
    run: Annotated[Optional[Path], typer.Option(help="With cortex-m33-qemu: run it on this wav in qemu-system-arm "
                                                "-M mps2-an505 and print its detection lines.")] = None,
    tflm_dir: Annotated[Optional[Path], typer.Option(help="Local tflite-micro tree (default $HARKEN_TFLM_DIR; "
                                                     "without either, CMake fetches TFLM).")] = None,
    tflm_library: Annotated[Optional[Path], typer.Option(help="A TFLM library cross-built before "
                                                         "(cmake/ with the toolchain file), to link.")] = None,
) -> None:
    """Write the model as C/C++ files for TensorFlow Lite Micro, harken's firmware C code (front end glue,
    command recognizer) and a reference application (main.cc + CMakeLists.txt) that detects what
    'harken classify-audio' detects."""
    from harken.cli import cortex_m33
    from harken.export.firmware.generate import export_firmware

    cortex_m33.check_target(target, run)
    result = export_firmware(model, out, force=force, style=style, name=name)
    m = result.model
    typer.echo(f"exported {m.source} as '{m.name}' to {result.out}: {len(result.files)} files; "
               f"ops {', '.join(op.name for op in m.ops)}; tensor arena {m.arena_size} bytes "
               f"({m.arena_measured} measured + {m.arena_margin} margin)")
    typer.echo(f"build: cmake -S {result.out} -B {result.out}/build && cmake --build {result.out}/build -j "
               "(add -DFETCHCONTENT_SOURCE_DIR_TFLITE_MICRO=PATH without internet); "
               f"run: {result.out}/build/{result.app_name} AUDIO.wav")
    if target == "cortex-m33-qemu":
        cortex_m33.build_and_run(result.out, tflm_dir=tflm_dir, tflm_library=tflm_library, run=run)
