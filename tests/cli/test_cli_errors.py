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


def test_an_unhandled_ctrl_c_is_told_in_one_line_with_exit_code_130(monkeypatch, capsys):
    """typer turns Ctrl-C into a silent exit 130; ``run`` says "interrupted" (commands that tell more say it once)."""
    import typer

    from harken.cli.app import interrupted, run

    app = typer.Typer()

    @app.command()
    def plain() -> None:
        raise KeyboardInterrupt

    @app.command()
    def told() -> None:
        raise interrupted("interrupted: epoch(s) 1-2 saved")

    for command, expected in (("plain", "interrupted\n"), ("told", "interrupted: epoch(s) 1-2 saved\n")):
        monkeypatch.setattr("sys.argv", ["harken", command])
        monkeypatch.setattr("harken.cli.app._interruption_told", False)
        with pytest.raises(SystemExit) as info:
            run(app)
        assert info.value.code == 130
        assert capsys.readouterr().err == expected
