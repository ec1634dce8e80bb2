"""The profile of an int8 model: what it costs on a microcontroller (flash, RAM, operations, estimated time and energy).

In: .tflite bytes, a target core and clock. Out: a :class:`ProfileReport`, its text (a summary and
a per-layer table in the seeds' wording) and plain data for JSON. Flash is the .tflite size; RAM
is the TFLM arena measured with the tflite-micro interpreter on this host
(:mod:`harken.profile.arena`) and its 32-bit device estimate; operations and MACs come from
:mod:`harken.profile.counting` (shared with ``summarize``); cycles, time and energy from the cycle
model of :mod:`harken.profile.cycles` and are labelled as estimates. Needs no TensorFlow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from harken.errors import ModelFileError, SettingsError
from harken.profile.counting import Operator, TensorInfo, model_io, read_operators
from harken.profile.cycles import CALIBRATION, Target, calibration_estimate, find_target, operator_cycles
from harken.profile.support import check_int8, unsupported_operators

__all__ = ["LayerProfile", "ProfileReport", "calibration_error_range", "format_report", "profile_model"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerProfile:
    """One operator: what it computes and its estimated cycles and time on the target."""

    index: int
    op: str
    ops: int
    macs: int
    cycles: float
    time_s: float
    energy_j: float | None
    inputs: list[str]
    outputs: list[str]
    options: str
    supported: bool


@dataclass(slots=True, kw_only=True)
class ProfileReport:
    """A model's profile; ``arena_bytes`` is the TFLM arena measured on this host (``None`` when TFLM cannot load it)."""

    name: str
    target: str
    clock_hz: float
    inputs: list[str]
    outputs: list[str]
    flash_bytes: int
    arena_bytes: int | None
    arena_device_bytes: int | None
    arena_note: str
    ops: int
    macs: int
    n_layers: int
    n_unsupported: int
    cycles: float
    time_s: float
    inferences_per_s: float
    energy_j: float | None
    joules_per_cycle: float | None
    calibration_error_pct: tuple[float, float]
    layers: list[LayerProfile] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (estimates marked in ``estimate_notes``)."""
        data = asdict(self)
        data["calibration_error_pct"] = list(self.calibration_error_pct)
        data["estimate_notes"] = _estimate_label(self)
        return data


def profile_model(data: bytes, *, name: str | None = None, target: str = "cortex-m33", clock_hz: float | None = None,
                  joules_per_cycle: float | None = None, source: str = "<tflite bytes>") -> ProfileReport:  # fmt: skip
    """Profile an int8 .tflite: counts, measured arena, and estimated cycles/time/energy on ``target``.

    Parameters
    ----------
    data : bytes
        The .tflite model (int8).
    name : str, optional
        Model name for the report (default: the embedded ``name`` setting, else ``source``).
    target : str
        A core of :data:`harken.profile.cycles.TARGETS` (``cortex-m33`` by default, 78 MHz).
    clock_hz : float, optional
        CPU clock in Hz, > 0 (default: the target's).
    joules_per_cycle : float, optional
        Energy per CPU cycle, > 0, for an energy estimate.
    source : str
        The file name used in error messages.

    Raises
    ------
    ModelFileError
        For a file that is not a readable .tflite, or a float model.
    SettingsError
        For an unknown target, or a clock or energy per cycle that is not positive.

    Examples
    --------
    >>> report = profile_model(open("keyword_spotting_on_off.tflite", "rb").read())  # doctest: +SKIP
    >>> report.ops, report.macs, report.n_layers  # doctest: +SKIP
    (574488, 278144, 7)
    """
    core = find_target(target)
    clock = _positive(core.clock_hz if clock_hz is None else clock_hz, "--clock-hz", "e.g. 78e6")
    if joules_per_cycle is not None:
        _positive(joules_per_cycle, "--joules-per-cycle", "e.g. 1e-10")
    try:
        operators = read_operators(bytes(data))
        inputs, outputs = model_io(bytes(data))
    except ModelFileError as exc:
        raise ModelFileError(str(exc).replace("<tflite bytes>", source)) from None
    check_int8(operators, source)
    unsupported = {op.index for op in unsupported_operators(operators)}
    arena, device, note = _arena(bytes(data), unsupported)
    layers = [_layer(op, core, clock, joules_per_cycle, op.index not in unsupported) for op in operators]
    cycles = sum(layer.cycles for layer in layers)
    return ProfileReport(
        name=name or _embedded_name(data) or source, target=core.name, clock_hz=clock, inputs=_shapes(inputs),
        outputs=_shapes(outputs), flash_bytes=len(data), arena_bytes=arena, arena_device_bytes=device,
        arena_note=note, ops=sum(op.ops for op in operators), macs=sum(op.macs for op in operators),
        n_layers=len(operators), n_unsupported=len(unsupported), cycles=cycles, time_s=cycles / clock,
        inferences_per_s=clock / cycles if cycles else float("inf"),
        energy_j=None if joules_per_cycle is None else cycles * joules_per_cycle, joules_per_cycle=joules_per_cycle,
        calibration_error_pct=calibration_error_range(), layers=layers)


def calibration_error_range() -> tuple[float, float]:
    """(lowest, highest) relative error in % of the Cortex-M33 estimates on the calibration points."""
    errors = [100 * (calibration_estimate(p) - p.measured_cycles) / p.measured_cycles for p in CALIBRATION]
    return min(errors), max(errors)


def _positive(value: float, option: str, example: str) -> float:
    if not value > 0 or value == float("inf"):
        raise SettingsError(f"{option}={value:g}: must be a positive number ({example})")
    return float(value)


def _arena(data: bytes, unsupported: set[int]) -> tuple[int | None, int | None, str]:
    """(host arena, 32-bit estimate, how they were found) from the tflite-micro interpreter."""
    from harken.profile.arena import estimate_device_arena, measure_arena

    if unsupported:
        return None, None, f"not measured: TFLM cannot run {len(unsupported)} operator(s)"
    try:
        usage = measure_arena(data)
    except ModelFileError as exc:
        return None, None, f"not measured: {str(exc).split(': ', 1)[-1]}"
    return (usage.total_bytes, estimate_device_arena(usage),
            "measured with the tflite-micro interpreter (64-bit host); the device figure removes the "
            "pointer growth of TFLM's tensor and node records (harken.profile.arena)")


def _layer(op: Operator, core: Target, clock: float, joules_per_cycle: float | None, supported: bool) -> LayerProfile:
    from harken.profile.summarize import options_text

    cycles = operator_cycles(op, core)
    return LayerProfile(index=op.index, op=op.op, ops=op.ops, macs=op.macs, cycles=cycles, time_s=cycles / clock,
                        energy_j=None if joules_per_cycle is None else cycles * joules_per_cycle,
                        inputs=_shapes(op.inputs), outputs=_shapes(op.outputs),
                        options=options_text(op.op, op.options, op.activation), supported=supported)  # fmt: skip


def _shapes(tensors: tuple[TensorInfo, ...]) -> list[str]:
    return [f"{'x'.join(str(d) for d in t.shape) or '1'} ({t.dtype})" for t in tensors]


def _embedded_name(data: bytes) -> str | None:
    from harken.export.tflite.params import read_params

    try:
        return read_params(bytes(data)).get("name") or None
    except ModelFileError:
        return None


def _estimate_label(report: ProfileReport) -> str:
    low, high = report.calibration_error_pct
    return (f"cycles, time, inferences/s and energy are estimates of a per-op cycle model (harken.profile.cycles, "
            f"docs/profile.md) calibrated on a Cortex-M33 (error on its calibration points {low:+.1f} % to "
            f"{high:+.1f} %); other cores are scaled, not calibrated")


def format_report(report: ProfileReport) -> str:
    """The summary and the per-layer table as text."""
    from harken.profile.summarize import text_table

    lines = ["Profiling Summary", f"Name: {report.name}", f"Target: {report.target} (estimate, no accelerator)",
             f"Input Shape: {', '.join(report.inputs)}", f"Output Shape: {', '.join(report.outputs)}",
             f"Flash, Model File Size (bytes): {_si(report.flash_bytes)}",
             f"RAM, Runtime Memory Size (bytes): {_arena_text(report)}",
             f"Operation Count: {_si(report.ops)}", f"Multiply-Accumulate Count: {_si(report.macs)}",
             f"Layer Count: {report.n_layers}", f"Unsupported Layer Count: {report.n_unsupported}",
             f"CPU Cycle Count (estimate): {_si(report.cycles)}", f"Clock Rate (hz): {_si(report.clock_hz)}",
             f"Time (s, estimate): {_si(report.time_s)}", f"Inference/s (estimate): {report.inferences_per_s:.1f}",
             f"Ops/s (estimate): {_si(report.ops / report.time_s if report.time_s else 0)}",
             f"MACs/s (estimate): {_si(report.macs / report.time_s if report.time_s else 0)}"]
    if report.energy_j is not None:
        lines.append(f"Energy (J, estimate at {report.joules_per_cycle:g} J/cycle): {_si(report.energy_j)}")
    lines.append(f"Note: {_estimate_label(report)}.")
    header = ("Index", "OpCode", "# Ops", "# MACs", "CPU Cycles", "Time (s)", *(
        ("Energy (J)",) if report.energy_j is not None else ()), "Input Shape", "Output Shape", "Options")
    rows = [(str(layer.index), layer.op + ("" if layer.supported else " (unsupported)"), _si(layer.ops),
             _si(layer.macs), _si(layer.cycles), _si(layer.time_s),
             *((_si(layer.energy_j),) if layer.energy_j is not None else ()),
             ",".join(s.split(" ")[0] for s in layer.inputs), ",".join(s.split(" ")[0] for s in layer.outputs),
             layer.options) for layer in report.layers]  # fmt: skip
    return "\n".join([*lines, "", "Model Layers", *text_table(header, rows)])


def _arena_text(report: ProfileReport) -> str:
    if report.arena_bytes is None:
        return report.arena_note
    return f"{_si(report.arena_device_bytes)} (32-bit estimate; {_si(report.arena_bytes)} measured on this 64-bit host)"


def _si(value: float | None) -> str:
    """The seeds' short numbers: 574.5k, 18.2M, 102.9m, 60.0u."""
    if value is None:
        return "n/a"
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "u"), (1e-9, "n"),
                          (1e-12, "p")):  # fmt: skip
        if abs(value) >= scale:
            return f"{value / scale:.1f}{suffix}"
    return "0"
