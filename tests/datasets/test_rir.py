"""The room impulse response bank: deterministic, cached, and shaped like an RIR."""

from __future__ import annotations

import numpy as np
import pytest

from harken.datasets import rir
from harken.datasets.rir import RirBankSettings, build_rir_bank, rir_bank, rir_bank_path
from harken.errors import SettingsError


def small(**overrides) -> RirBankSettings:
    values = dict(num_rirs=3, max_order=4, max_length_s=0.25, seed=7)
    values.update(overrides)
    return RirBankSettings(**values)


def test_same_settings_give_the_same_bank():
    a, b = build_rir_bank(small()), build_rir_bank(small())
    assert np.array_equal(a.rirs, b.rirs) and np.array_equal(a.room_m, b.room_m)


def test_another_seed_gives_other_rooms():
    a, b = build_rir_bank(small(seed=1)), build_rir_bank(small(seed=2))
    assert not np.array_equal(a.room_m, b.room_m)


def test_bank_is_cached_as_npz_and_loaded_again(tmp_path, monkeypatch):
    first = rir_bank(small(), cache_dir=tmp_path)
    assert rir_bank_path(small(), tmp_path).is_file()

    def no_simulation(settings):
        raise AssertionError("the bank should come from the cache")

    monkeypatch.setattr(rir, "build_rir_bank", no_simulation)
    second = rir_bank(small(), cache_dir=tmp_path)
    assert np.array_equal(first.rirs, second.rirs) and second.sample_rate_hz == 16000
    assert np.array_equal(first.rt60_s, second.rt60_s)


def test_each_rir_starts_at_its_direct_path_with_unit_energy():
    bank = build_rir_bank(small())
    for i in range(len(bank)):
        h = bank.get(i)
        assert h.dtype == np.float32 and h.size <= 0.25 * 16000
        assert np.argmax(np.abs(h)) <= 8
        assert float(np.sum(h.astype(np.float64) ** 2)) == pytest.approx(1.0, rel=1e-4)


def test_rooms_and_reverberation_stay_in_the_requested_ranges():
    settings = small(num_rirs=5, min_rt60_s=0.2, max_rt60_s=0.3)
    bank = build_rir_bank(settings)
    assert np.all((bank.rt60_s >= 0.2) & (bank.rt60_s <= 0.3))
    assert np.all(bank.room_m >= np.array(settings.min_room_m)) and np.all(bank.room_m <= np.array(settings.max_room_m))
    assert np.all(bank.distance_m >= 0.3)


def test_settings_round_trip_through_a_dict():
    settings = small(min_room_m=(3, 3, 2.5))
    assert RirBankSettings.from_dict(settings.to_dict()) == settings


def test_settings_reject_a_room_too_small_for_the_wall_margin():
    with pytest.raises(SettingsError, match="1.2 m"):
        RirBankSettings(min_room_m=(1.0, 3.0, 2.5))


def test_settings_reject_rt60_bounds_out_of_order():
    with pytest.raises(SettingsError, match="RirBankSettings.min_rt60_s=0.9 > max_rt60_s=0.5"):
        RirBankSettings(min_rt60_s=0.9, max_rt60_s=0.5)


def test_settings_reject_an_empty_bank():
    with pytest.raises(SettingsError, match=r"RirBankSettings.num_rirs=0: use a whole number in \[1, "):
        RirBankSettings(num_rirs=0)


def test_settings_reject_an_unknown_key_with_a_suggestion():
    with pytest.raises(SettingsError, match="did you mean 'num_rirs'"):
        RirBankSettings.from_dict({"num_rir": 3})
