"""The one way settings dataclasses check themselves and turn into and from plain JSON data.

A settings class is ``@dataclass(slots=True, kw_only=True)`` on ``Settings``: it is validated on
construction (``validate()``, which each stage may call again since fields can change later),
``to_dict()`` gives plain JSON types (tuples as lists, nested settings as dicts) and ``from_dict()``
rebuilds it, rejecting unknown keys with the closest name and converting nested settings and
tuples from the field's type hint. The ``check_*`` helpers raise ``SettingsError`` naming
``Owner.field`` and the allowed values, so every message reads the same.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import difflib
import math
import types
import typing
from collections.abc import Iterable
from typing import Any, TypeVar

from harken.errors import SettingsError

S = TypeVar("S", bound="Settings")


class Settings:
    """Base of every settings dataclass: validate on construction, round-trip through plain data.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(slots=True, kw_only=True)
    ... class Level(Settings):
    ...     gain_db: float = 0.0
    ...     def validate(self) -> None:
    ...         check_number(self, "gain_db", lo=-60.0, hi=60.0)
    >>> Level.from_dict(Level(gain_db=3.0).to_dict())
    Level(gain_db=3.0)
    """

    __slots__ = ()

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise SettingsError naming the first bad field (subclasses override)."""

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON types."""
        return {f.name: to_plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls: type[S], data: Any, *, owner: str | None = None) -> S:
        """Rebuild from ``to_dict()`` output; unknown keys are rejected with the closest name."""
        owner = owner or cls.__name__
        if not isinstance(data, dict):
            raise SettingsError(f"{owner}: expected an object of settings, got {type(data).__name__}")
        known = {f.name: f for f in dataclasses.fields(cls) if f.init}
        reject_unknown_keys(data, known, owner=owner)
        hints = typing.get_type_hints(cls)
        kwargs = {key: from_plain(hints.get(key, Any), value, owner=f"{owner}.{key}") for key, value in data.items()}
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise SettingsError(f"{owner}: {exc}") from None


def to_plain(value: Any) -> Any:
    """``value`` as JSON types: settings (anything with ``to_dict``) as dicts, tuples as lists, numpy
    scalars as numbers, functions as ``"<function module.name>"`` (a function cannot travel as JSON),
    anything else as its ``repr``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():
        return value.item()
    if callable(value):
        return f"<function {getattr(value, '__module__', '?')}.{getattr(value, '__qualname__', repr(value))}>"
    return repr(value)


def from_plain(hint: Any, value: Any, *, owner: str) -> Any:
    """Convert plain ``value`` to the field type ``hint``: nested settings, tuples, lists, optional of those.

    A function-typed field given its ``to_plain`` name becomes None: the function must be set again.
    """
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if (origin is collections.abc.Callable or hint is collections.abc.Callable) and isinstance(value, str):
        return None
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return from_plain(options[0], value, owner=owner) if len(options) == 1 else value
    if isinstance(hint, type) and issubclass(hint, Settings):
        return value if isinstance(value, hint) else hint.from_dict(value, owner=owner)
    if origin is tuple and isinstance(value, (list, tuple)):
        args = typing.get_args(hint)
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else Any
        return tuple(from_plain(item, v, owner=owner) for v in value)
    if origin is list and isinstance(value, (list, tuple)):
        (item,) = typing.get_args(hint) or (Any,)
        return [from_plain(item, v, owner=f"{owner}[{i}]") for i, v in enumerate(value)]
    return value


def reject_unknown_keys(data: dict[str, Any], known: Iterable[str], *, owner: str, prefix: str = "") -> None:
    """Raise SettingsError for the first key of ``data`` not in ``known``, suggesting the closest.

    ``owner`` names the settings (or file) in the message; ``prefix`` is shown before suggestions.
    """
    known = list(known)
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            suggestion = (f"{prefix}{close[0]}" if prefix else repr(close[0])) if close else ""
            hint = f"; did you mean {suggestion}?" if close else ""
            raise SettingsError(f"{owner}: unknown setting {key!r}{hint}")


def _name(owner: object | str) -> str:
    return owner if isinstance(owner, str) else type(owner).__name__


def check_probability(owner: object | str, name: str, value: float | None = None) -> None:
    """``owner.name`` (or ``value``) is a probability in [0, 1]."""
    value = getattr(owner, name) if value is None else value
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and 0.0 <= float(value) <= 1.0):
        raise SettingsError(f"{_name(owner)}.{name}={value!r}: a probability must be in [0, 1]")


def check_number(owner: object | str, name: str, value: float | None = None, *, lo: float, hi: float,
                 unit: str = "") -> None:
    """``owner.name`` (or ``value``) is a finite number in [lo, hi]."""
    value = getattr(owner, name) if value is None else value
    if isinstance(value, bool) or not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
        raise SettingsError(f"{_name(owner)}.{name}={value!r}{unit}: use a value in [{lo}, {hi}]{unit}")


def check_range(owner: object | str, name: str, low: float | None = None, high: float | None = None, *,
                lo: float, hi: float, unit: str = "") -> None:
    """``min_<name> <= max_<name>``, both finite and within [lo, hi] (read from ``owner`` when not given)."""
    low = getattr(owner, f"min_{name}") if low is None else low
    high = getattr(owner, f"max_{name}") if high is None else high
    check_number(owner, f"min_{name}", low, lo=lo, hi=hi, unit=unit)
    check_number(owner, f"max_{name}", high, lo=lo, hi=hi, unit=unit)
    if low > high:
        raise SettingsError(f"{_name(owner)}.min_{name}={low} > max_{name}={high}: swap them or make min <= max")


def check_count(owner: object | str, name: str, value: int | None = None, *, lo: int = 0, hi: int = 1_000_000) -> None:
    """``owner.name`` (or ``value``) is a whole number in [lo, hi]."""
    value = getattr(owner, name) if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SettingsError(f"{_name(owner)}.{name}={value!r}: use a whole number in [{lo}, {hi}]")


def check_choice(owner: object | str, name: str, value: Any = None, *, choices: Iterable[Any]) -> None:
    """``owner.name`` (or ``value``) is one of ``choices``."""
    value = getattr(owner, name) if value is None else value
    choices = list(choices)
    if value not in choices:
        raise SettingsError(f"{_name(owner)}.{name}={value!r}: use one of {', '.join(map(repr, choices))}")


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
