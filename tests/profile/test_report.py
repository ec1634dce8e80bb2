"""The profile report: counts from the shared counting module, the measured arena, estimates, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harken.errors import ModelFileError, SettingsError
from harken.profile.arena import estimate_device_arena, measure_arena
from harken.profile.counting import read_operators
from harken.profile.report import format_report, profile_model

DATA = Path(__file__).parents[1] / "data" / "params"
TINY = (DATA / "tiny_with_params.tflite").read_bytes()


def float_model() -> bytes:
    import tflite_micro

    return (Path(tflite_micro.__file__).parent / "python" / "tflite_micro" / "sine_float.tflite").read_bytes()


@pytest.fixture(scope="module")
def report():
    return profile_model(TINY, source="tiny.tflite")


def test_counts_come_from_the_counting_module(report):
    operators = read_operators(TINY)
    assert (report.ops, report.macs, report.n_layers) == (3_542_130, 1_714_464, 7)
    assert [(layer.op, layer.ops, layer.macs) for layer in report.layers] == [(o.op, o.ops, o.macs) for o in operators]


def test_summary_has_flash_measured_arena_and_its_device_estimate(report):
    usage = measure_arena(TINY)
    assert report.flash_bytes == len(TINY)
    assert (report.arena_bytes, report.arena_device_bytes) == (usage.total_bytes, estimate_device_arena(usage))
    assert report.n_unsupported == 0


def test_input_and_output_shapes_and_embedded_name(report):
    assert (report.inputs, report.outputs) == (["1x98x104x1 (int8)"], ["1x3 (int8)"])
    assert report.name == "tiny_params_fixture"  # the embedded name setting


def test_time_is_cycles_over_the_clock_and_layers_add_up(report):
    assert report.cycles == pytest.approx(sum(layer.cycles for layer in report.layers))
    assert report.time_s == pytest.approx(report.cycles / 78e6)
    assert report.inferences_per_s == pytest.approx(78e6 / report.cycles)
    assert report.energy_j is None


def test_clock_and_energy_per_cycle_scale_time_and_energy():
    fast = profile_model(TINY, clock_hz=156e6, joules_per_cycle=2e-10)
    assert fast.time_s == pytest.approx(fast.cycles / 156e6)
    assert fast.energy_j == pytest.approx(fast.cycles * 2e-10)
    assert all(layer.energy_j == pytest.approx(layer.cycles * 2e-10) for layer in fast.layers)


def test_another_target_changes_the_estimate_not_the_counts(report):
    m7 = profile_model(TINY, target="cortex-m7")
    assert (m7.target, m7.clock_hz, m7.ops) == ("cortex-m7", 216e6, report.ops)
    assert m7.cycles < report.cycles


def test_report_text_labels_estimates_and_lists_every_layer(report):
    text = format_report(report)
    assert "Operation Count: 3.5M" in text and "Multiply-Accumulate Count: 1.7M" in text
    assert "Time (s, estimate)" in text and "estimates of a per-op cycle model" in text
    assert all(f"| {layer.index}     | {layer.op}" in text for layer in report.layers)


def test_report_dict_is_plain_json(report):
    data = json.loads(json.dumps(report.to_dict()))
    assert data["arena_bytes"] == report.arena_bytes and len(data["layers"]) == 7
    assert "estimate" in data["estimate_notes"]


def test_zero_clock_is_refused():
    with pytest.raises(SettingsError, match="--clock-hz=0: must be a positive number"):
        profile_model(TINY, clock_hz=0)


def test_negative_energy_per_cycle_is_refused():
    with pytest.raises(SettingsError, match="--joules-per-cycle"):
        profile_model(TINY, joules_per_cycle=-1e-10)


def test_unknown_target_is_refused():
    with pytest.raises(SettingsError, match="unknown target"):
        profile_model(TINY, target="risc-v")


def test_float_model_is_refused_with_the_way_to_an_int8_one():
    with pytest.raises(ModelFileError, match=r"sine\.tflite: a float32 model .*harken quantize"):
        profile_model(float_model(), source="sine.tflite")


@pytest.mark.parametrize("damage", [lambda d: d[: len(d) // 2], lambda d: d[:8] + b"\xff" * 600])
def test_damaged_tflite_is_one_line_error_naming_the_file(damage):
    with pytest.raises(ModelFileError, match=r"^bad\.tflite: .*(damaged|truncated)") as info:
        profile_model(damage(TINY), source="bad.tflite")
    assert "\n" not in str(info.value)


def test_ops_tflm_cannot_run_are_counted_flagged_and_leave_the_arena_unmeasured(monkeypatch):
    import harken.profile.support as support

    monkeypatch.setattr(support, "TFLM_BUILTIN_OPS", support.TFLM_BUILTIN_OPS - {"softmax"})
    report = profile_model(TINY)
    assert report.n_unsupported == 1 and [layer.supported for layer in report.layers][-1] is False
    assert report.arena_bytes is None and "TFLM cannot run 1 operator" in report.arena_note
    assert "| softmax (unsupported)" in format_report(report)
