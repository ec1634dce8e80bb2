"""The cycle model: its coefficients are the least-squares fit of the published measurements, and its targets."""

from __future__ import annotations

import numpy as np
import pytest

from harken.errors import SettingsError
from harken.profile.counting import TensorInfo, count_operator
from harken.profile.cycles import (CALIBRATION, COEFFICIENTS, TARGETS, calibration_estimate, estimate_cycles,
                                   find_target)
from harken.profile.report import calibration_error_range


def coefficient(kind: str, term: str) -> float:
    return next(c.cycles for c in COEFFICIENTS if c.kind == kind and c.term == term)


def points(op: str):
    return [p for p in CALIBRATION if p.op == op]


def test_conv_coefficients_are_the_least_squares_fit_of_the_three_measured_convolutions():
    layer = coefficient("any", "layer")
    rows, target = [], []
    for p in points("conv_2d"):
        n = int(np.prod(p.output))
        macs = n * int(np.prod(p.inputs[1][1:]))
        rows.append([macs / p.measured_cycles, n / p.measured_cycles])
        target.append(1 - layer / p.measured_cycles)
    (mac, out), *_ = np.linalg.lstsq(np.array(rows), np.array(target), rcond=None)
    assert coefficient("conv", "mac") == pytest.approx(mac, rel=0.01)
    assert coefficient("conv", "output") == pytest.approx(out, rel=0.01)


def test_pool_coefficient_is_the_least_squares_fit_of_the_two_measured_pools():
    layer = coefficient("any", "layer")
    reads = [int(np.prod(p.output)) * p.window[0] * p.window[1] for p in points("average_pool_2d")]
    measured = [p.measured_cycles for p in points("average_pool_2d")]
    (per_value,), *_ = np.linalg.lstsq(np.array([[r / m] for r, m in zip(reads, measured)]),
                                       np.array([1 - layer / m for m in measured]), rcond=None)
    assert coefficient("pool", "element") == pytest.approx(per_value, rel=0.01)


def test_calibration_points_count_the_published_macs():
    def macs(p) -> int:
        inputs = tuple(TensorInfo(shape=s, dtype="int8") for s in p.inputs)
        return count_operator(p.op, inputs, (TensorInfo(shape=p.output, dtype="int8"),), activation=p.activation)[0]

    assert [macs(p) for p in points("conv_2d")] == [497_664, 418_176, 279_936]  # published: 497.7k, 418.2k, 279.9k
    assert [macs(p) for p in points("fully_connected")] == [1_152]


def _macs(p) -> int:
    return int(np.prod(p.output)) * int(np.prod(p.inputs[1][1:]))


def test_every_calibration_estimate_is_within_four_percent_of_the_measurement():
    errors = [(calibration_estimate(p) - p.measured_cycles) / p.measured_cycles for p in CALIBRATION]
    assert max(abs(e) for e in errors) < 0.04
    low, high = calibration_error_range()
    assert (low, high) == pytest.approx((100 * min(errors), 100 * max(errors)))


def test_unknown_target_lists_the_known_ones():
    with pytest.raises(SettingsError, match="cortex-m33, cortex-m4, cortex-m7, cortex-m55"):
        find_target("cortex-m0")


def test_target_names_are_case_insensitive():
    assert find_target(" Cortex-M4 ") is TARGETS["cortex-m4"]


def test_reshape_costs_the_layer_overhead_scaled_by_the_core():
    m7 = TARGETS["cortex-m7"]
    assert estimate_cycles("reshape", macs=0, outputs=384, target=m7) == pytest.approx(2300 * m7.scalar_factor)


def test_helium_core_runs_a_mac_heavy_convolution_in_fewer_cycles_than_the_m33():
    args = dict(macs=400_000, outputs=2_000)
    m33 = estimate_cycles("conv_2d", **args)
    m55 = estimate_cycles("conv_2d", **args, target=TARGETS["cortex-m55"])
    expected = 2.87 * 400_000 * 0.25 + (2300 + 87.9 * 2_000) * TARGETS["cortex-m55"].scalar_factor
    assert m55 == pytest.approx(expected) and m55 < m33 / 2


def test_default_clock_of_the_m33_is_the_calibration_boards():
    assert TARGETS["cortex-m33"].clock_hz == 78e6
