"""The error a spec value raises when it can say where in the spec file to look.

A plain ``SettingsError`` whose message starts ``Owner.field=`` (as the ``harken._util.settings``
checks write it) already names the setting the loader looks for; ``SpecProblem`` carries any other
text to look for (a dataset name, a class name) as its ``token``.
"""

from __future__ import annotations

from harken.errors import SettingsError


class SpecProblem(SettingsError):
    """A spec value is wrong; ``token`` is text to look for in the spec file to name its line."""

    def __init__(self, message: str, *, token: str | None = None) -> None:
        super().__init__(message)
        self.token = token
