"""Front-end settings: every ``fe.*`` key of the firmware, checked, and derived sizes.

In: keyword arguments or a dict / JSON file of ``fe.*`` keys (the ``fe.`` prefix optional).
Out: a validated ``FrontendSettings`` with the derived sizes the stages need (samples per window,
FFT length, frames per clip). Defaults are those of the seeds' v3 on/off model.
It does not compute anything: see ``harken.frontend.tables`` and ``harken.frontend.batch``.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from harken._util.atomic import write_json_atomic
from harken._util.settings import Settings, reject_unknown_keys
from harken.errors import SettingsError

FE_PREFIX = "fe."
# The int8 dynamic-scale constant: ln(10) / 20, the dB -> natural-log factor of the log stage.
DB_TO_LOG_SCALE = 0.11512925465


@dataclass(slots=True, kw_only=True)
class FrontendSettings(Settings):
    """Settings of the microcontroller audio front end (names are the firmware's ``fe.*`` keys).

    Examples
    --------
    >>> fe = FrontendSettings(sample_rate_hz=8000, filterbank_n_channels=32, window_step_ms=20,
    ...                       filterbank_upper_band_limit=3999.0)
    >>> fe.spectrogram_shape
    (49, 32)
    """

    sample_rate_hz: int = 16000
    sample_length_ms: int = 1000
    window_size_ms: int = 30
    window_step_ms: int = 10
    filterbank_n_channels: int = 104
    filterbank_upper_band_limit: float = 7500.0
    filterbank_lower_band_limit: float = 125.0
    noise_reduction_enable: bool = True
    noise_reduction_smoothing_bits: int = 10
    noise_reduction_even_smoothing: float = 0.025
    noise_reduction_odd_smoothing: float = 0.06
    noise_reduction_min_signal_remaining: float = 0.4
    pcan_enable: bool = False
    pcan_strength: float = 0.95
    pcan_offset: float = 80.0
    pcan_gain_bits: int = 21
    log_scale_enable: bool = True
    log_scale_shift: int = 6
    activity_detection_enable: bool = False
    activity_detection_alpha_a: float = 0.5
    activity_detection_alpha_b: float = 0.8
    activity_detection_arm_threshold: float = 0.75
    activity_detection_trip_threshold: float = 0.8
    dc_notch_filter_enable: bool = True
    dc_notch_filter_coefficient: float = 0.95
    quantize_dynamic_scale_enable: bool = True
    quantize_dynamic_scale_range_db: float = 40.0

    # ---- derived sizes ----------------------------------------------------------------------
    @property
    def sample_length(self) -> int:
        """Samples in one clip (sample_rate_hz * sample_length_ms / 1000)."""
        return self.sample_rate_hz * self.sample_length_ms // 1000

    @property
    def window_size(self) -> int:
        """Samples in one window (integer arithmetic, as the firmware)."""
        return self.window_size_ms * self.sample_rate_hz // 1000

    @property
    def window_step(self) -> int:
        """Samples between two windows."""
        return self.window_step_ms * self.sample_rate_hz // 1000

    @property
    def fft_length(self) -> int:
        """Smallest power of two >= window_size (derived, never set)."""
        n = 1
        while n < self.window_size:
            n <<= 1
        return n

    @property
    def num_frames(self) -> int:
        """Frames in one clip: (L - W) // S + 1."""
        return num_frames(self.sample_length, self.window_size, self.window_step)

    @property
    def spectrogram_shape(self) -> tuple[int, int]:
        """(frames, channels) of one clip's spectrogram."""
        return (self.num_frames, self.filterbank_n_channels)

    @property
    def dynamic_range(self) -> int:
        """R of the dynamic int8 scaling: int(range_db * 2^log_scale_shift * ln(10)/20)."""
        return int(self.quantize_dynamic_scale_range_db * (1 << self.log_scale_shift) * DB_TO_LOG_SCALE)

    # ---- checks -----------------------------------------------------------------------------
    def validate(self) -> None:
        """Raise SettingsError naming the first setting that is out of range or inconsistent."""
        _check_types(self)
        _require(self.sample_rate_hz > 0, "sample_rate_hz", self.sample_rate_hz, "must be > 0")
        _require(self.sample_length_ms > 0, "sample_length_ms", self.sample_length_ms, "must be > 0")
        _require(self.window_size_ms > 0, "window_size_ms", self.window_size_ms, "must be > 0")
        _require(self.window_step_ms > 0, "window_step_ms", self.window_step_ms, "must be > 0")
        _require(self.window_size >= 2, "window_size_ms", self.window_size_ms,
                 f"gives {self.window_size} samples at {self.sample_rate_hz} Hz; a window needs at least 2")
        _require(self.window_step >= 1, "window_step_ms", self.window_step_ms,
                 f"gives 0 samples at {self.sample_rate_hz} Hz")
        _require(self.window_step <= self.window_size, "window_step_ms", self.window_step_ms,
                 f"is longer than fe.window_size_ms={self.window_size_ms}; the step must not skip samples")
        _require(self.window_size <= self.sample_length, "window_size_ms", self.window_size_ms,
                 f"is longer than the sample (fe.sample_length_ms={self.sample_length_ms})")
        nyquist = self.sample_rate_hz / 2
        _require(self.filterbank_n_channels >= 1, "filterbank_n_channels", self.filterbank_n_channels,
                 "must be >= 1")
        _require(self.filterbank_lower_band_limit >= 0, "filterbank_lower_band_limit",
                 self.filterbank_lower_band_limit, "must be >= 0 Hz")
        _require(self.filterbank_upper_band_limit > self.filterbank_lower_band_limit,
                 "filterbank_upper_band_limit", self.filterbank_upper_band_limit,
                 f"must be above fe.filterbank_lower_band_limit={self.filterbank_lower_band_limit}")
        _require(self.filterbank_upper_band_limit < nyquist, "filterbank_upper_band_limit",
                 self.filterbank_upper_band_limit,
                 f"must be below Nyquist ({nyquist:g} Hz at {self.sample_rate_hz} Hz; the top band needs a bin above it)")
        _require(0 <= self.noise_reduction_smoothing_bits <= 16, "noise_reduction_smoothing_bits",
                 self.noise_reduction_smoothing_bits, "must be in [0, 16]")
        for name in ("noise_reduction_even_smoothing", "noise_reduction_odd_smoothing",
                     "noise_reduction_min_signal_remaining"):
            value = getattr(self, name)
            _require(0.0 <= value <= 1.0, name, value, "is a smoothing factor and must be in [0, 1]")
        _require(self.pcan_strength >= 0, "pcan_strength", self.pcan_strength, "must be >= 0")
        _require(self.pcan_offset > 0, "pcan_offset", self.pcan_offset, "must be > 0")
        _require(1 <= self.pcan_gain_bits <= 30, "pcan_gain_bits", self.pcan_gain_bits, "must be in [1, 30]")
        if self.pcan_enable:
            snr_shift = self.pcan_gain_bits - _input_correction_bits(self.fft_length) - 12
            _require(0 <= snr_shift < 32, "pcan_gain_bits", self.pcan_gain_bits,
                     f"gives a negative PCAN shift with fft_length={self.fft_length}; raise it")
        _require(0 <= self.log_scale_shift <= 15, "log_scale_shift", self.log_scale_shift, "must be in [0, 15]")
        for name in ("activity_detection_alpha_a", "activity_detection_alpha_b"):
            value = getattr(self, name)
            _require(0.0 <= value < 1.0, name, value, "is a smoothing factor and must be in [0, 1)")
        for name in ("activity_detection_arm_threshold", "activity_detection_trip_threshold"):
            value = getattr(self, name)
            _require(0.0 < value <= 1.0, name, value, "must be in (0, 1]")
        _require(0.0 <= self.dc_notch_filter_coefficient < 1.0, "dc_notch_filter_coefficient",
                 self.dc_notch_filter_coefficient, "must be in [0, 1)")
        _require(self.quantize_dynamic_scale_range_db > 0, "quantize_dynamic_scale_range_db",
                 self.quantize_dynamic_scale_range_db, "must be > 0 dB")
        _require(self.dynamic_range >= 1, "quantize_dynamic_scale_range_db", self.quantize_dynamic_scale_range_db,
                 "is too small to span one log step")

    # ---- plain data ---------------------------------------------------------------------------
    def to_dict(self, *, prefix: bool = True) -> dict[str, Any]:
        """All settings plus the derived ``fft_length`` as plain JSON types, ``fe.``-prefixed keys."""
        out = {**Settings.to_dict(self), "fft_length": self.fft_length}
        return {(FE_PREFIX + k if prefix else k): v for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None,
                  owner: str | None = None) -> FrontendSettings:
        """Build from ``fe.*`` keys (prefix optional). Unknown keys are rejected with a suggestion;
        ``fft_length`` is derived, so a given value must match. ``source`` (or the base's ``owner``,
        as when nested in another ``Settings``) names the file or setting in messages."""
        source = source or owner or "settings"
        if not isinstance(data, dict):
            raise SettingsError(f"{source}: expected a JSON object of fe.* settings, got {type(data).__name__}")
        names = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        fft_length = None
        for raw_key, value in data.items():
            key = raw_key[len(FE_PREFIX):] if raw_key.startswith(FE_PREFIX) else raw_key
            if key == "fft_length":
                fft_length = value
                continue
            if key not in names and not difflib.get_close_matches(key, list(names), n=1):
                raise SettingsError(f"{source}: unknown setting {key!r} ({FE_PREFIX}{key} is none of the firmware's "
                                    f"{len(names)} {FE_PREFIX}* keys); fix its name or remove it")
            reject_unknown_keys({key: value}, names, owner=source, prefix=FE_PREFIX)
            kwargs[key] = _coerce(value, names[key].type, key, source)
        try:
            settings = cls(**kwargs)
        except SettingsError as exc:
            raise SettingsError(f"{source}: {exc}") from None
        if fft_length is not None and fft_length != settings.fft_length:
            raise SettingsError(
                f"{source}: fe.fft_length={fft_length} does not match the window "
                f"({settings.window_size} samples -> {settings.fft_length}); drop fe.fft_length (it is derived)"
            )
        return settings

    @classmethod
    def load(cls, path: str | os.PathLike) -> FrontendSettings:
        """Read a JSON settings file: an object of fe.* keys, or a golden-file style {"settings": {...}}."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise SettingsError(f"{path}: no such settings file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid JSON ({exc})") from None
        if isinstance(data, dict) and isinstance(data.get("settings"), dict):
            data = data["settings"]
        return cls.from_dict(data, source=str(path))

    def save(self, path: str | os.PathLike) -> None:
        """Write the settings as a JSON object of fe.* keys (atomically)."""
        write_json_atomic(path, self.to_dict(), indent=1)

    def replace(self, **changes: Any) -> FrontendSettings:
        """A copy with some settings changed (validated again)."""
        return dataclasses.replace(self, **changes)


def num_frames(num_samples: int, window_size: int, window_step: int) -> int:
    """Frames the firmware makes from ``num_samples``: (L - W) // S + 1, 0 when L < W."""
    if num_samples < window_size:
        return 0
    return (num_samples - window_size) // window_step + 1


def _input_correction_bits(fft_length: int) -> int:
    """Bits the log/PCAN stages correct for the FFT size: msb(fft_length) - 1 - 6."""
    return fft_length.bit_length() - 1 - 6


_TYPE_NAMES = {"int": int, "float": float, "bool": bool}


def _check_types(settings: FrontendSettings) -> None:
    for f in fields(settings):
        expected = _TYPE_NAMES[f.type] if isinstance(f.type, str) else f.type
        value = getattr(settings, f.name)
        if expected is bool:
            ok = isinstance(value, bool)
        elif expected is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            raise SettingsError(f"fe.{f.name}={value!r} must be {expected.__name__}")


def _coerce(value: Any, type_name: Any, key: str, source: str) -> Any:
    """Accept JSON numbers for int/float/bool fields where the meaning is unambiguous."""
    expected = _TYPE_NAMES[type_name] if isinstance(type_name, str) else type_name
    if expected is bool and isinstance(value, int) and value in (0, 1):
        return bool(value)
    if expected is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _require(ok: bool, name: str, value: Any, problem: str) -> None:
    if not ok:
        raise SettingsError(f"fe.{name}={value!r} {problem}")
