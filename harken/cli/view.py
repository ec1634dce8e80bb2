"""``harken view``: the model's graph in the browser with Netron, or a static picture with ``--out``.

Thin: resolve the model (:mod:`harken.profile.source`), then serve it with ``netron`` (the optional
``view`` extra, imported only here, when the command runs) or write its layer graph with
:mod:`harken.profile.graph` (DOT, SVG or PNG; no extra package).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from harken.cli.text import MODEL_HELP
from harken.errors import HarkenError, SettingsError


def register(app: typer.Typer) -> None:
    """Add ``view`` to ``app``."""
    app.command("view", epilog="Examples:\n\n  harken view model.tflite\n\n"
                "  harken view keyword_spotting_on_off --build --no-browser --port 8080\n\n"
                "  harken view model.tflite --out model.svg")(view_command)


def view_command(
    model: Annotated[str, typer.Argument(metavar="MODEL", help=MODEL_HELP)],
    build: Annotated[bool, typer.Option("--build", help="Convert the spec's untrained model to int8 first.")] = False,
    host: Annotated[str, typer.Option(help="Address to serve on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[Optional[int], typer.Option(help="Port to serve on (default: a free one from 8080).")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Serve without opening a browser.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the layer graph to FILE (.dot, .svg or .png) "
                                                "instead of serving it.")] = None,
) -> None:
    """Show the int8 model's graph: served to the browser with Netron, or written as a Graphviz picture."""
    from harken.profile.source import load_model_source

    found = load_model_source(model, build=build)
    if out is not None:
        from harken.profile.graph import write_graph

        written = write_graph(found.data, out, name=found.name)
        note = "" if written == out else " (Graphviz 'dot' is not installed: install graphviz to render it)"
        typer.echo(f"graph: {written}{note}")
        return
    if port is not None and not 0 < port < 65536:
        raise SettingsError(f"--port {port}: choose a port between 1 and 65535")
    try:
        import netron
    except ImportError:
        raise HarkenError("harken view needs Netron: pip install 'harken[view]' (or use --out FILE.svg)") from None
    try:
        host_name, bound = netron.serve(f"{found.name}.tflite", bytearray(found.data),
                                        address=(host, port), browse=not no_browser)  # fmt: skip
    except OSError as exc:
        raise HarkenError(f"cannot serve on {host}:{port or 'a free port'} ({exc.strerror or exc}); "
                          "pick another --port") from None
    typer.echo(f"serving {found.source} at http://{host_name}:{bound} (Ctrl-C to stop)")
    netron.wait()
