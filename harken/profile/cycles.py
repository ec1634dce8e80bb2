"""Estimated CPU cycles of an int8 model on a Cortex-M microcontroller: a transparent per-op cycle model.

In: the operators of a .tflite (:func:`harken.profile.counting.read_operators`) and a target core.
Out: cycles per operator. It runs nothing: every figure is an *estimate* from the formula below,
for TensorFlow Lite Micro with the CMSIS-NN kernels (what a Cortex-M build uses), no accelerator.

The model (reference core: Cortex-M33, the core of the EFR32xG24 the seeds profile on)::

    cycles = layer + mac x MACs + output x outputs + element x elements

with one row of :data:`COEFFICIENTS` per term and op kind: ``conv`` (conv_2d, depthwise_conv_2d),
``fully_connected``, ``pool`` (average/max pool: one element per window value read), ``softmax``
and ``elementwise`` (add, mul, quantize, ...: one element per output value). Reshapes cost the
per-layer overhead only. The shape class of a convolution is its dot-product length: the
per-output term (requantization, loop set-up) dominates short kernels (a 3x3 kernel over 1 input
channel: 9 MACs per output, 114 cycles per output measured) and the per-MAC term long ones.

The coefficients are least-squares fits (relative error) to :data:`CALIBRATION`: the vendor's
measurements of its ``image_example1`` model on a physical EFR32xG24 (Cortex-M33 at 78 MHz,
TFLM + CMSIS-NN, no accelerator), printed in Silicon Labs' MLTK ``profile_model`` example
(``mltk/examples/profile_model.ipynb``, Example 3). ``bench/profile.py`` prints each point's
estimate beside its measurement; docs/profile.md records the errors. Other cores scale the
Cortex-M33 figures by published architecture ratios (:data:`TARGETS`): those are not calibrated
on measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

from harken.errors import SettingsError
from harken.profile.counting import Operator, TensorInfo, count_operator

__all__ = ["CALIBRATION", "COEFFICIENTS", "TARGETS", "CalibrationPoint", "Coefficient", "Target",
           "estimate_cycles", "find_target", "operator_cycles"]

_MLTK = "MLTK profile_model example 3, EFR32xG24 (Cortex-M33, 78 MHz), CMSIS-NN, no accelerator"


@dataclass(frozen=True, slots=True, kw_only=True)
class Coefficient:
    """One term of the cycle model on the reference core (Cortex-M33): its value, unit and where it comes from."""

    kind: str
    term: str
    cycles: float
    unit: str
    source: str


COEFFICIENTS: tuple[Coefficient, ...] = (
    Coefficient(kind="any", term="layer", cycles=2300.0, unit="cycles per layer",
                source=f"{_MLTK}: reshape 1x4x4x24 -> 1x384 (no arithmetic) 2.3k cycles"),
    Coefficient(kind="conv", term="mac", cycles=2.87, unit="cycles per MAC",
                source=f"{_MLTK}: least-squares fit to its three conv_2d layers (1, 24 and 16 input channels)"),
    Coefficient(kind="conv", term="output", cycles=87.9, unit="cycles per output value",
                source=f"{_MLTK}: same fit (requantization and loop set-up per output value)"),
    Coefficient(kind="fully_connected", term="mac", cycles=2.20, unit="cycles per MAC",
                source=f"{_MLTK}: fully_connected 384 -> 3 (1,152 MACs) 5.1k cycles, with the conv output term"),
    Coefficient(kind="fully_connected", term="output", cycles=87.9, unit="cycles per output value",
                source="assumed equal to the conv output term (the same requantization per output)"),
    Coefficient(kind="pool", term="element", cycles=13.2, unit="cycles per window value read",
                source=f"{_MLTK}: least-squares fit to its two average_pool_2d layers (2x2 windows); "
                       "max_pool_2d assumed the same"),
    Coefficient(kind="softmax", term="element", cycles=200.0, unit="cycles per value",
                source=f"{_MLTK}: softmax over 3 values 2.9k cycles"),
    Coefficient(kind="elementwise", term="element", cycles=13.2, unit="cycles per output value",
                source="assumed equal to the pool term (one requantized pass over the data); no CPU-only "
                       "measurement of add/mul/quantize found"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """A core: default clock and the factors that turn Cortex-M33 cycles into its cycles.

    ``mac_factor`` scales the per-MAC terms (the SIMD multiply-accumulate loops), ``scalar_factor``
    every other term (control code, requantization, memory moves).
    """

    name: str
    clock_hz: float
    mac_factor: float
    scalar_factor: float
    source: str


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target(name="cortex-m33", clock_hz=78e6, mac_factor=1.0, scalar_factor=1.0,
           source="the calibration core (EFR32xG24 at 78 MHz)"),
    Target(name="cortex-m4", clock_hz=80e6, mac_factor=1.0, scalar_factor=4.02 / 3.40,
           source="same DSP extension (SMLAD: two 16-bit MACs per cycle) and CMSIS-NN code path as the M33; "
                  "scalar code by CoreMark/MHz, Arm: M33 4.02, M4 3.40; clock of an STM32L4 (80 MHz)"),
    Target(name="cortex-m7", clock_hz=216e6, mac_factor=4.02 / 5.01, scalar_factor=4.02 / 5.01,
           source="dual-issue pipeline, same DSP SIMD width: everything by CoreMark/MHz, Arm: M33 4.02, "
                  "M7 5.01; clock of an STM32F746 (216 MHz)"),
    Target(name="cortex-m55", clock_hz=160e6, mac_factor=0.25, scalar_factor=4.02 / 4.2,
           source="Helium (MVE) CMSIS-NN kernels: 128-bit vectors executed in two 64-bit beats, 8 int8 MACs "
                  "per cycle against the M33's 2 (WikiChip, 'Arm's New Cortex-M55 Breathes Helium'); scalar "
                  "code by CoreMark/MHz, Arm: M33 4.02, M55 4.2; clock of an Alif Ensemble high-efficiency "
                  "core (160 MHz)"),
)}


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationPoint:
    """A published measurement: one layer's shapes and the cycles it took on the reference core."""

    label: str
    op: str
    inputs: tuple[tuple[int, ...], ...]
    output: tuple[int, ...]
    window: tuple[int, int] | None
    activation: str | None
    measured_cycles: float
    source: str = _MLTK


CALIBRATION: tuple[CalibrationPoint, ...] = (
    CalibrationPoint(label="conv_2d 96x96x1 -> 48x48x24, 3x3, stride 2 (1 input channel)", op="conv_2d",
                     inputs=((1, 96, 96, 1), (24, 3, 3, 1), (24,)), output=(1, 48, 48, 24), window=None,
                     activation="relu", measured_cycles=6.3e6),
    CalibrationPoint(label="average_pool_2d 48x48x24 -> 24x24x24, 2x2", op="average_pool_2d",
                     inputs=((1, 48, 48, 24),), output=(1, 24, 24, 24), window=(2, 2), activation="none",
                     measured_cycles=759.4e3),
    CalibrationPoint(label="conv_2d 24x24x24 -> 11x11x16, 3x3, stride 2 (24 input channels)", op="conv_2d",
                     inputs=((1, 24, 24, 24), (16, 3, 3, 24), (16,)), output=(1, 11, 11, 16), window=None,
                     activation="relu", measured_cycles=1.4e6),
    CalibrationPoint(label="conv_2d 11x11x16 -> 9x9x24, 3x3 (16 input channels)", op="conv_2d",
                     inputs=((1, 11, 11, 16), (24, 3, 3, 16), (24,)), output=(1, 9, 9, 24), window=None,
                     activation="relu", measured_cycles=956.1e3),
    CalibrationPoint(label="average_pool_2d 9x9x24 -> 4x4x24, 2x2", op="average_pool_2d",
                     inputs=((1, 9, 9, 24),), output=(1, 4, 4, 24), window=(2, 2), activation="none",
                     measured_cycles=21.9e3),
    CalibrationPoint(label="reshape 1x4x4x24 -> 1x384", op="reshape", inputs=((1, 4, 4, 24), (2,)),
                     output=(1, 384), window=None, activation=None, measured_cycles=2.3e3),
    CalibrationPoint(label="fully_connected 384 -> 3", op="fully_connected", inputs=((1, 384), (3, 384), (3,)),
                     output=(1, 3), window=None, activation="none", measured_cycles=5.1e3),
    CalibrationPoint(label="softmax over 3 values", op="softmax", inputs=((1, 3),), output=(1, 3), window=None,
                     activation=None, measured_cycles=2.9e3),
)

_KINDS = {"conv_2d": "conv", "depthwise_conv_2d": "conv", "fully_connected": "fully_connected",
          "average_pool_2d": "pool", "max_pool_2d": "pool", "softmax": "softmax"}
_NO_ARITHMETIC = {"reshape", "squeeze", "expand_dims"}


def find_target(name: str) -> Target:
    """The :data:`TARGETS` entry called ``name``.

    Raises
    ------
    SettingsError
        For an unknown name (the message lists the known ones).
    """
    key = name.strip().lower()
    if key not in TARGETS:
        raise SettingsError(f"--target {name!r}: unknown target; choose one of {', '.join(TARGETS)}")
    return TARGETS[key]


def _coefficient(kind: str, term: str) -> float:
    for row in COEFFICIENTS:
        if row.kind == kind and row.term == term:
            return row.cycles
    return 0.0


def estimate_cycles(op: str, *, macs: int, outputs: int, window: int = 1, target: Target = TARGETS["cortex-m33"]
                    ) -> float:  # fmt: skip
    """Estimated cycles of one operator from its MACs, output values and pooling window size (values per output).

    Examples
    --------
    >>> round(estimate_cycles("reshape", macs=0, outputs=384))
    2300
    """
    scalar = _coefficient("any", "layer")
    if op in _NO_ARITHMETIC:
        return scalar * target.scalar_factor
    kind = _KINDS.get(op, "elementwise")
    mac = _coefficient(kind, "mac") * macs
    scalar += _coefficient(kind, "output") * outputs
    scalar += _coefficient(kind, "element") * outputs * (window if kind == "pool" else 1)
    return mac * target.mac_factor + scalar * target.scalar_factor


def operator_cycles(operator: Operator, target: Target = TARGETS["cortex-m33"]) -> float:
    """Estimated cycles of one operator read from a .tflite."""
    outputs = operator.outputs[0].elements if operator.outputs else 0
    window = 1
    if operator.op in ("average_pool_2d", "max_pool_2d") and operator.options is not None:
        window = operator.options.filterWidth * operator.options.filterHeight
    return estimate_cycles(operator.op, macs=operator.macs, outputs=outputs, window=window, target=target)


def calibration_estimate(point: CalibrationPoint, target: Target = TARGETS["cortex-m33"]) -> float:
    """The model's estimate for a calibration point (counted with the same rules as a real model)."""
    inputs = tuple(TensorInfo(shape=s, dtype="int32" if len(s) == 1 else "int8") for s in point.inputs)
    output = TensorInfo(shape=point.output, dtype="int8")
    macs, _ = count_operator(point.op, inputs, (output,), activation=point.activation,
                             options=_Window(*point.window) if point.window else None)  # fmt: skip
    window = point.window[0] * point.window[1] if point.window else 1
    return estimate_cycles(point.op, macs=macs, outputs=output.elements, window=window, target=target)


@dataclass(frozen=True, slots=True)
class _Window:
    filterHeight: int  # noqa: N815 (the schema's spelling)
    filterWidth: int  # noqa: N815
