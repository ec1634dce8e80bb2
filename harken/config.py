"""Plain-data settings helpers shared by every settings dataclass (``from_dict`` checks)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from harken.errors import SettingsError


def reject_unknown_keys(data: dict[str, Any], known: Iterable[str], *, owner: str, prefix: str = "") -> None:
    """Raise SettingsError for the first key of ``data`` not in ``known``, suggesting the closest.

    ``owner`` names the settings (or file) in the message; ``prefix`` is shown before suggestions.
    """
    known = list(known)
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            suggestion = f"{prefix}{close[0]}" if prefix else repr(close[0]) if close else ""
            hint = f"; did you mean {suggestion}?" if close else ""
            raise SettingsError(f"{owner}: unknown setting {key!r}{hint}")
