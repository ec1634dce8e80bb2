"""What a spec puts on the device: int8 conversion settings and the command recognizer's settings.

In: keyword arguments in a spec file. Out: validated ``QuantizationSettings`` and
``DetectionSettings`` (the latter in the firmware's key names, as stored in the .tflite).
It does not convert or run models: ``harken.export`` and ``harken.runtime`` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harken._util.settings import Settings, check_count
from harken.errors import SettingsError
from harken.spec.problem import SpecProblem


@dataclass(slots=True, kw_only=True)
class QuantizationSettings(Settings):
    """Full int8 conversion: ``num_representative_samples`` validation spectrograms calibrate it."""

    num_representative_samples: int = 500
    float_model: bool = True

    def validate(self) -> None:
        """Raise SettingsError naming the first bad field."""
        check_count(self, "num_representative_samples", lo=1)


@dataclass(slots=True, kw_only=True)
class DetectionSettings(Settings):
    """Settings of the device's command recognizer, embedded in the .tflite (firmware key names).

    Give ``detection_threshold`` (one value for every class) or ``detection_threshold_list``
    (one per class), each 0..255 on the int8 model's output scale.
    """

    average_window_duration_ms: int = 1000
    detection_threshold: int | None = 160
    detection_threshold_list: tuple[int, ...] | None = None
    suppression_ms: int = 750
    minimum_count: int = 3
    volume_gain: float = 0.0
    latency_ms: int = 100

    def __post_init__(self) -> None:
        if self.detection_threshold_list is not None:
            self.detection_threshold_list = tuple(self.detection_threshold_list)
            if self.detection_threshold == 160:  # the default, not a choice: the list replaces it
                self.detection_threshold = None
        self.validate()

    def validate(self) -> None:
        """Raise SettingsError naming the first bad field."""
        if (self.detection_threshold is None) == (self.detection_threshold_list is None):
            raise SpecProblem("detection: give detection_threshold or detection_threshold_list (one of them)",
                              token="detection_threshold")
        values = self.detection_threshold_list or (self.detection_threshold,)
        if any(not isinstance(v, int) or not 0 <= v <= 255 for v in values):
            raise SpecProblem(f"detection thresholds {list(values)}: use whole numbers 0..255",
                              token="detection_threshold")
        for name in ("average_window_duration_ms", "suppression_ms", "minimum_count", "latency_ms"):
            check_count(self, name, lo=0)
        from harken.export.tflite.validate import check_detection_params  # the rules update-params applies too

        for key, value in self.to_params().items():
            try:
                check_detection_params({key: value}, source="detection")
            except SettingsError as exc:
                raise SpecProblem(str(exc), token=key) from None

    def to_params(self) -> dict[str, Any]:
        """The firmware's model parameters, in the order the reference toolkit stores them."""
        out: dict[str, Any] = {"average_window_duration_ms": self.average_window_duration_ms}
        if self.detection_threshold_list is not None:
            out["detection_threshold_list"] = list(self.detection_threshold_list)
        else:
            out["detection_threshold"] = self.detection_threshold
        out.update(suppression_ms=self.suppression_ms, minimum_count=self.minimum_count,
                   volume_gain=float(self.volume_gain), latency_ms=self.latency_ms)
        return out
