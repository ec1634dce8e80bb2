"""``harken profile``: what an int8 model costs on a microcontroller (flash, RAM, operations, estimated time).

Thin: resolve the model (:mod:`harken.profile.source`), profile it (:mod:`harken.profile.report`), print
or write. A .tflite or an archive never imports TensorFlow; a spec with ``--build`` does (conversion).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from harken.cli.text import MODEL_HELP


def register(app: typer.Typer) -> None:
    """Add ``profile`` to ``app``."""
    app.command("profile", epilog="Examples:\n\n  harken profile keyword_spotting_on_off --build\n\n"
                "  harken profile model.tflite --target cortex-m4 --clock-hz 80e6\n\n"
                "  harken profile model.tflite --joules-per-cycle 1.5e-10 --output reports/")(profile_command)


def profile_command(
    model: Annotated[str, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    build: Annotated[bool, typer.Option("--build", help="Convert the spec's untrained model to int8 first.")] = False,
    target: Annotated[str, typer.Option(help="cortex-m33 (78 MHz), cortex-m4, cortex-m7 or cortex-m55.")
                      ] = "cortex-m33",
    clock_hz: Annotated[Optional[float], typer.Option("--clock-hz", help="CPU clock in Hz (default: the target's).")
                        ] = None,
    joules_per_cycle: Annotated[Optional[float], typer.Option(
        "--joules-per-cycle", help="Energy per CPU cycle in joules, for an energy estimate.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", help="Folder for NAME-profile.txt and .json.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Profile an int8 model: size, TFLM arena, operations, and estimated cycles, time and energy per inference."""
    from harken._util.atomic import write_text_atomic
    from harken.profile.report import format_report, profile_model
    from harken.profile.source import load_model_source

    found = load_model_source(model, build=build)
    report = profile_model(found.data, name=found.name, target=target, clock_hz=clock_hz,
                           joules_per_cycle=joules_per_cycle, source=found.source)  # fmt: skip
    text = format_report(report) + ("\n(untrained: built from the spec)" if found.untrained else "")
    data = json.dumps(report.to_dict(), indent=2)
    if output is not None:
        write_text_atomic(output / f"{report.name}-profile.txt", text + "\n")
        write_text_atomic(output / f"{report.name}-profile.json", data + "\n")
    typer.echo(data if as_json else text)
