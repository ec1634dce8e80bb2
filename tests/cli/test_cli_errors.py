"""harken.cli.app.run: an OSError from any command is one ``error:`` line with exit code 2, not a traceback."""

from __future__ import annotations

import errno
import sys

import pytest
import typer

from harken.cli.app import run


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def fail() -> None:
        raise exc

    @app.command()
    def other() -> None:  # two commands, so "fail" is a sub-command name
        pass

    return app


@pytest.mark.parametrize(("exc", "line"), [
    (PermissionError(errno.EACCES, "Permission denied", "/out/x.json"), "error: /out/x.json: Permission denied"),
    (OSError(errno.EIO, "Input/output error"), "error: Input/output error"),
    (OSError(errno.EXDEV, "Invalid cross-device link", "/t/a", None, "/u/b"),
     "error: /t/a -> /u/b: Invalid cross-device link"),
    (OSError(errno.ELOOP, "Too many levels of symbolic links", "caf\udce9.wav"),
     "error: caf\\xe9.wav: Too many levels of symbolic links"),
])  # fmt: skip
def test_an_os_error_is_one_line_with_exit_code_2(exc, line, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["harken", "fail"])
    with pytest.raises(SystemExit) as exit_info:
        run(_app(exc))
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == line + "\n"


def test_a_bug_is_still_a_traceback(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["harken", "fail"])
    with pytest.raises(ZeroDivisionError):
        run(_app(ZeroDivisionError("a bug")))
