"""The shared settings base: validation on construction, plain-data round trips, named errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from harken._util.settings import Settings, check_choice, check_count, check_probability, check_range
from harken.errors import SettingsError


@dataclass(slots=True, kw_only=True)
class Inner(Settings):
    p: float = 0.5
    min_gain_db: float = -6.0
    max_gain_db: float = 6.0

    def validate(self) -> None:
        check_probability(self, "p")
        check_range(self, "gain_db", lo=-60.0, hi=60.0, unit=" dB")


@dataclass(slots=True, kw_only=True)
class Outer(Settings):
    name: str = "x"
    kinds: tuple[str, ...] = ("a", "b")
    inner: Inner = field(default_factory=Inner)
    optional: Inner | None = None
    count: int = 3

    def validate(self) -> None:
        check_count(self, "count", lo=1, hi=10)
        check_choice(self, "name", choices=("x", "y"))


def test_round_trip_restores_nested_settings_and_tuples():
    s = Outer(kinds=("c",), inner=Inner(p=1.0), optional=Inner(min_gain_db=0.0), count=4)
    d = s.to_dict()
    assert d["kinds"] == ["c"] and d["inner"] == {"p": 1.0, "min_gain_db": -6.0, "max_gain_db": 6.0}
    assert Outer.from_dict(d) == s


def test_unknown_key_is_rejected_with_the_closest_name():
    with pytest.raises(SettingsError, match="Outer: unknown setting 'cont'; did you mean 'count'"):
        Outer.from_dict({"cont": 3})


def test_nested_unknown_key_names_its_owner_path():
    with pytest.raises(SettingsError, match=r"Outer.inner: unknown setting 'q'"):
        Outer.from_dict({"inner": {"q": 1}})


def test_construction_validates_and_names_the_field():
    with pytest.raises(SettingsError, match=r"Inner.p=1.5: a probability must be in \[0, 1\]"):
        Inner(p=1.5)
    with pytest.raises(SettingsError, match=r"Inner.min_gain_db=7.0 > max_gain_db=6.0"):
        Inner(min_gain_db=7.0)
    with pytest.raises(SettingsError, match=r"Outer.count=0: use a whole number in \[1, 10\]"):
        Outer(count=0)
    with pytest.raises(SettingsError, match=r"Outer.name='z': use one of 'x', 'y'"):
        Outer(name="z")


def test_slots_turn_a_typo_into_an_error():
    s = Inner()
    with pytest.raises(AttributeError):
        s.max_gain_bd = 3.0  # type: ignore[attr-defined]


def test_a_non_object_is_a_settings_error():
    with pytest.raises(SettingsError, match="Inner: expected an object of settings, got list"):
        Inner.from_dict([1, 2])


@dataclass(slots=True, kw_only=True)
class Many(Settings):
    items: list[Inner] = field(default_factory=list)


def test_lists_of_settings_round_trip_and_name_the_bad_item():
    s = Many(items=[Inner(p=0.1), Inner(p=0.2)])
    assert Many.from_dict(s.to_dict()) == s
    with pytest.raises(SettingsError, match=r"Many.items\[1\]: unknown setting 'x'"):
        Many.from_dict({"items": [{}, {"x": 1}]})


def _half(epoch: int) -> float:
    return 0.5 ** epoch


@dataclass(slots=True, kw_only=True)
class Scheduled(Settings):
    schedule: Callable[[int], float] | None = None
    options: dict = field(default_factory=dict)


def test_a_function_travels_as_its_name_and_comes_back_as_none():
    d = Scheduled(schedule=_half, options={1: (2, 3)}).to_dict()
    assert d == {"schedule": "<function tests._util.test_settings._half>", "options": {"1": [2, 3]}}
    assert Scheduled.from_dict(d) == Scheduled(options={"1": [2, 3]})
