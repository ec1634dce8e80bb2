"""The rules the settings embedded in a .tflite must follow, and the checked update ``update-params`` runs.

In: a mapping of model parameters (``classes``, ``fe.*``, the command recognizer's detection keys...)
and the model's output count. Out: nothing, or one ``SettingsError`` naming the key, the value and the
fix. :func:`update_model_params` applies these rules to a change, keeps each key's stored type when
the new value fits it, and refreshes the embedded ``hash``.

The rules are those of the consumers: ``fe.*`` keys are checked by
:class:`harken.frontend.FrontendSettings` (the front end), the detection keys by
:func:`check_detection_params`, which the streaming recognizer uses too (this module imports nothing
from ``harken.streaming``). It does not read or write metadata itself: see ``params`` and ``metadata``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from harken.errors import SettingsError
from harken.export.tflite.dictionary import TypedValue, _check_typed, infer_type

FE_PREFIX = "fe."
#: At most this many results are averaged: the firmware's queue holds 50 (a larger minimum_count never detects).
MAX_AVERAGED_RESULTS = 50
#: Detection keys of the firmware's command recognizer.
DETECTION_KEYS = ("average_window_duration_ms", "detection_threshold", "detection_threshold_list",
                  "suppression_ms", "minimum_count", "volume_gain", "latency_ms")  # fmt: skip
#: Every other key harken and the firmware know (``fe.*`` keys come from FrontendSettings).
OTHER_KEYS = ("name", "version", "description", "classes", "hash", "date", "runtime_memory_size",
              "verbose_model_output_logs")  # fmt: skip
_INT_FAMILY = {"i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64"}

__all__ = ["DETECTION_KEYS", "MAX_AVERAGED_RESULTS", "OTHER_KEYS", "check_detection_params", "check_updates",
           "known_keys", "update_model_params"]  # fmt: skip


def known_keys() -> tuple[str, ...]:
    """Every parameter key harken knows: the ``fe.*`` front-end keys, the detection keys and the others."""
    from harken.frontend.settings import FrontendSettings

    fe = tuple(FE_PREFIX + f.name for f in fields(FrontendSettings)) + (FE_PREFIX + "fft_length",)
    return (*OTHER_KEYS, *DETECTION_KEYS, *fe)


def _whole(key: str, value: Any, *, lo: int, hi: int, source: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SettingsError(f"{source}: {key}={value!r}: use a whole number in [{lo}, {hi}]")


def check_detection_params(params: Mapping[str, Any], *, num_classes: int | None = None,
                           source: str = "model parameters") -> None:  # fmt: skip
    """Check the detection keys present in ``params`` by the firmware recognizer's rules.

    Thresholds are whole numbers 0..255 (the uint8 score scale), a ``detection_threshold_list``
    has one per class (``num_classes``, when known); ``average_window_duration_ms`` is positive;
    ``minimum_count`` is 0..50 (0: no averaging; the queue holds 50 results); ``suppression_ms`` and
    ``latency_ms`` are >= 0; ``volume_gain`` is a finite number >= 0.

    Examples
    --------
    >>> check_detection_params({"detection_threshold_list": [200, 255]}, num_classes=3)
    Traceback (most recent call last):
    ...
    harken.errors.SettingsError: model parameters: detection_threshold_list has 2 values for 3 classes; give one per class
    """
    if "detection_threshold" in params:
        _whole("detection_threshold", params["detection_threshold"], lo=0, hi=255, source=source)
    if "detection_threshold_list" in params:
        values = params["detection_threshold_list"]
        whole = isinstance(values, (list, tuple)) and all(isinstance(v, int) and not isinstance(v, bool) for v in values)
        if not whole or not values or not all(0 <= v <= 255 for v in values):
            raise SettingsError(f"{source}: detection_threshold_list={values!r}: give a list of whole numbers "
                                "0..255 (the uint8 score scale), one per class")  # fmt: skip
        if num_classes is not None and len(values) != num_classes:
            raise SettingsError(f"{source}: detection_threshold_list has {len(values)} values for {num_classes} "
                                "classes; give one per class")  # fmt: skip
    if "average_window_duration_ms" in params:
        _whole("average_window_duration_ms", params["average_window_duration_ms"], lo=1, hi=1_000_000, source=source)
    if "minimum_count" in params:
        _whole("minimum_count", params["minimum_count"], lo=0, hi=MAX_AVERAGED_RESULTS, source=source)
    for key in ("suppression_ms", "latency_ms"):
        if key in params:
            _whole(key, params[key], lo=0, hi=1_000_000, source=source)
    if "volume_gain" in params:
        gain = params["volume_gain"]
        if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not math.isfinite(gain) or gain < 0:
            raise SettingsError(f"{source}: volume_gain={gain!r}: use a number >= 0 (0 or 1: no gain)")


def _check_other(params: Mapping[str, Any], *, num_outputs: int | None, source: str) -> None:
    """``classes`` (distinct names, one per output), texts, counts and the verbose flag."""
    if "classes" in params:
        classes = params["classes"]
        if not isinstance(classes, (list, tuple)) or not classes or not all(isinstance(c, str) and c for c in classes):
            raise SettingsError(f"{source}: classes={classes!r}: give a list of class names, one per model output")
        if len(set(classes)) != len(classes):
            raise SettingsError(f"{source}: classes={list(classes)} repeats a name; name each output once")
        if num_outputs is not None and len(classes) != num_outputs:
            raise SettingsError(f"{source}: {len(classes)} classes {list(classes)} for a model with {num_outputs} "
                                "outputs; give one class name per output")  # fmt: skip
    for key in ("name", "description", "hash", "date"):
        if key in params and not isinstance(params[key], str):
            raise SettingsError(f"{source}: {key}={params[key]!r}: use text")
    for key in ("version", "runtime_memory_size"):
        if key in params:
            _whole(key, params[key], lo=0, hi=2**32 - 1, source=source)
    if "verbose_model_output_logs" in params and not isinstance(params["verbose_model_output_logs"], bool):
        raise SettingsError(f"{source}: verbose_model_output_logs={params['verbose_model_output_logs']!r}: "
                            "use true or false")  # fmt: skip


def _check_frontend(params: Mapping[str, Any], *, source: str) -> None:
    from harken.frontend.settings import FrontendSettings

    fe = {k: v for k, v in params.items() if k.startswith(FE_PREFIX)}
    if fe:
        FrontendSettings.from_dict(fe, source=source)


def _check_unknown(updates: Mapping[str, Any], *, source: str) -> None:
    import difflib

    known = known_keys()
    for key in updates:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SettingsError(f"{source}: unknown model parameter {key!r}; {hint}"
                                "pass --force to store a key harken does not know")  # fmt: skip


def check_updates(current: Mapping[str, Any], updates: Mapping[str, Any], *, num_outputs: int | None = None,
                  source: str = "model", force: bool = False) -> dict[str, Any]:  # fmt: skip
    """Check ``updates`` to a model's parameters ``current``; return the updates with canonical values.

    Canonical: a whole number given for a float ``fe.*`` setting or ``volume_gain`` becomes a float.
    ``num_outputs`` is the model's output count (classes must match it). Unknown keys are an error
    unless ``force``; ``hash`` cannot be set (it is refreshed after every change).
    """
    if "hash" in updates:
        raise SettingsError(f"{source}: hash is computed by harken (refreshed after every change); leave it out")
    if not force:
        _check_unknown(updates, source=source)
    updates = {key: _canonical(key, value) for key, value in updates.items()}
    merged = {**current, **updates}
    known = set(known_keys())
    if any(k.startswith(FE_PREFIX) for k in updates):
        _check_frontend({k: v for k, v in merged.items() if k in known or not force}, source=source)
    _check_other({k: merged[k] for k in updates if k in OTHER_KEYS}, num_outputs=num_outputs, source=source)
    detection = {k: merged[k] for k in updates if k in DETECTION_KEYS}
    if "classes" in updates and "detection_threshold_list" in merged:
        detection["detection_threshold_list"] = merged["detection_threshold_list"]
    classes = merged.get("classes")
    num_classes = len(classes) if isinstance(classes, (list, tuple)) else num_outputs
    check_detection_params(detection, num_classes=num_classes, source=source)
    return updates


def _canonical(key: str, value: Any) -> Any:
    """Whole numbers for float settings become floats (the type the firmware reads)."""
    from harken.frontend.settings import FrontendSettings

    floats = {FE_PREFIX + f.name for f in fields(FrontendSettings) if f.type in ("float", float)} | {"volume_gain"}
    if key in floats and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _typed(key: str, value: Any, existing: TypedValue | None) -> TypedValue:
    """The new value in the stored type of the old one when it fits (same kind), else the smallest type."""
    new = infer_type(value, key=key)
    if existing is None:
        return new
    same_kind = {existing.type_name, new.type_name} <= _INT_FAMILY or {existing.type_name, new.type_name} <= {
        "f32", "f64"} or existing.type_name == new.type_name  # fmt: skip
    if not same_kind:
        return new
    try:
        return _check_typed(TypedValue(existing.type_name, value), key)
    except SettingsError:
        return new


def update_model_params(path: str | os.PathLike, updates: Mapping[str, Any], *,
                        force: bool = False) -> dict[str, TypedValue]:  # fmt: skip
    """Check ``updates`` (see :func:`check_updates`), write them into the .tflite and refresh its ``hash``.

    Returns the parameters now stored. The file is replaced atomically; on any error it is unchanged.

    Examples
    --------
    >>> update_model_params("model.tflite", {"suppression_ms": 500})["suppression_ms"]  # doctest: +SKIP
    TypedValue(type_name='u16', value=500)
    """
    from harken.export.tflite.metadata import load_model_bytes, output_size
    from harken.export.tflite.params import params_hash, read_params_typed, update_params

    data, source = load_model_bytes(path)
    stored = read_params_typed(data, source=source)
    current = {key: typed.value for key, typed in stored.items()}
    checked = check_updates(current, updates, num_outputs=output_size(data, source=source), source=source, force=force)
    typed = {key: _typed(key, value, stored.get(key)) for key, value in checked.items()}
    final = {**stored, **typed}
    typed["hash"] = TypedValue("str", params_hash(data, final, source=source))
    return update_params(path, typed)
