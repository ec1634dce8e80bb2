"""The ``harken`` Typer app and :func:`run`, the one place where errors become messages and exit codes.

Exit codes: 0 ok, 1 a check that ran and failed, 2 bad input or usage (``error: ...``), 130 Ctrl-C.
This module imports none of the commands: ``harken.cli.main`` registers the command groups on :data:`app`.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from harken._util.tfquiet import quiet_tensorflow_imports
from harken.errors import HarkenError

app = typer.Typer(
    name="harken",
    help="From audio clips to a keyword-spotting model running on a microcontroller.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def run(command_app: typer.Typer) -> None:
    """Run ``command_app`` on ``sys.argv`` as the ``harken`` command: a HarkenError is one line and exit code 2."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter is not for users
    logging.basicConfig(level=os.environ.get("HARKEN_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    quiet_tensorflow_imports()  # imports nothing; hides the notices if a command loads TensorFlow
    try:
        # In non-standalone mode click *returns* the exit code of typer.Exit (Ctrl-C gives 130).
        code = command_app(standalone_mode=False)
    except HarkenError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except OSError as exc:  # a file the command could not read or write (read-only, full disk, gone...)
        typer.echo(f"error: {_os_error_line(exc)}", err=True)
        sys.exit(2)
    except Exception as exc:  # usage errors arrive here in non-standalone mode
        # click's ClickException, or the copy inside typer >= 0.17, which no longer installs click
        if any(cls.__name__ == "ClickException" for cls in type(exc).__mro__):
            exc.show()
            sys.exit(2)
        raise
    if code == 130 and not _interruption_told:  # typer turns an unhandled Ctrl-C into a silent exit 130
        typer.echo("interrupted", err=True)
    if isinstance(code, int) and code:
        sys.exit(code)


_interruption_told = False


def interrupted(message: str) -> typer.Exit:
    """Tell the user what an interrupted command left (one line on stderr); raise the exit it returns (130)."""
    global _interruption_told
    typer.echo(message, err=True)
    _interruption_told = True
    return typer.Exit(code=130)


def _os_error_line(exc: OSError) -> str:
    """``PATH: reason`` of an OSError (both file names for a failed rename), never a traceback."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    names = [os.fsencode(n).decode("utf-8", "backslashreplace") for n in (exc.filename, exc.filename2) if n]
    where = " -> ".join(names)
    return f"{where}: {reason}" if where else reason
