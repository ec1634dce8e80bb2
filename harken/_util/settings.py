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


def load_json_object(path) -> dict[str, Any]:
    """Read a JSON object from ``path``; SettingsError naming the file when it is missing or not JSON."""
    import json
    from pathlib import Path

    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SettingsError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data
