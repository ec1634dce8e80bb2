"""Front-end settings check themselves and round-trip through plain dicts and JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from harken._util.settings import Settings
from harken.errors import SettingsError
from harken.frontend import FrontendSettings
from tests.conftest import GOLDEN_FRONTEND


@dataclass(slots=True, kw_only=True)
class Holder(Settings):
    frontend: FrontendSettings = field(default_factory=FrontendSettings)


def test_defaults_are_the_v3_model():
    fe = FrontendSettings()
    assert fe.spectrogram_shape == (98, 104)
    assert fe.fft_length == 512
    assert fe.dc_notch_filter_enable and fe.quantize_dynamic_scale_enable


def test_dict_round_trip_keeps_every_setting():
    fe = FrontendSettings(sample_rate_hz=8000, window_step_ms=20, filterbank_n_channels=32,
                          filterbank_upper_band_limit=3999.0, pcan_enable=True)
    assert FrontendSettings.from_dict(fe.to_dict()) == fe
    assert FrontendSettings.from_dict(fe.to_dict(prefix=False)) == fe


def test_nested_in_another_settings_class_it_round_trips_with_fe_keys():
    holder = Holder(frontend=FrontendSettings(window_size_ms=25, pcan_enable=True))
    data = holder.to_dict()
    assert data["frontend"]["fe.window_size_ms"] == 25 and data["frontend"]["fe.fft_length"] == 512
    assert Holder.from_dict(data) == holder
    data["frontend"]["fe.window_sise_ms"] = 20
    with pytest.raises(SettingsError, match="Holder.frontend: unknown setting 'window_sise_ms'"):
        Holder.from_dict(data)


def test_save_and_load_round_trip(tmp_path):
    fe = FrontendSettings(window_size_ms=25, quantize_dynamic_scale_range_db=60.0)
    fe.save(tmp_path / "fe.json")
    assert FrontendSettings.load(tmp_path / "fe.json") == fe


def test_loads_golden_settings_file_with_its_wrapper():
    fe = FrontendSettings.load(GOLDEN_FRONTEND / "settings" / "seed003_int8.json")
    assert fe.spectrogram_shape == (49, 32) and not fe.dc_notch_filter_enable


def test_float32_widened_values_from_a_tflite_are_accepted():
    fe = FrontendSettings.from_dict({"fe.noise_reduction_even_smoothing": 0.02500000037252903,
                                     "fe.sample_rate_hz": 16000.0, "fe.pcan_enable": 0})
    assert fe.sample_rate_hz == 16000 and fe.pcan_enable is False


@pytest.mark.parametrize(
    "changes,match",
    [
        (dict(window_size_ms=1500), "window_size_ms=1500 is longer than the sample"),
        (dict(filterbank_upper_band_limit=9000.0), "filterbank_upper_band_limit=9000.0 must be below Nyquist"),
        (dict(filterbank_n_channels=0), "filterbank_n_channels=0 must be >= 1"),
        (dict(noise_reduction_even_smoothing=1.5), "noise_reduction_even_smoothing=1.5 is a smoothing factor"),
        (dict(activity_detection_alpha_a=1.0), "activity_detection_alpha_a=1.0"),
        (dict(window_step_ms=40), "window_step_ms=40 is longer than fe.window_size_ms"),
        (dict(filterbank_lower_band_limit=8000.0, filterbank_upper_band_limit=7000.0),
         "must be above fe.filterbank_lower_band_limit"),
        (dict(dc_notch_filter_coefficient=1.0), "dc_notch_filter_coefficient=1.0 must be in"),
        (dict(sample_rate_hz=0), "sample_rate_hz=0 must be > 0"),
        (dict(quantize_dynamic_scale_range_db=-3.0), "quantize_dynamic_scale_range_db=-3.0"),
        (dict(filterbank_n_channels=10.5), "filterbank_n_channels=10.5 must be int"),
    ],
)
def test_bad_settings_name_the_setting(changes, match):
    with pytest.raises(SettingsError, match=match):
        FrontendSettings(**changes)


def test_changing_a_field_later_is_caught_on_use():
    from harken.frontend import compute_spectrograms
    import numpy as np

    fe = FrontendSettings()
    fe.filterbank_n_channels = -1
    with pytest.raises(SettingsError, match="filterbank_n_channels"):
        compute_spectrograms(np.zeros(16000, np.int16), fe)


def test_typo_in_attribute_is_rejected():
    fe = FrontendSettings()
    with pytest.raises(AttributeError):
        fe.filterbank_nchannels = 40


def test_unknown_key_suggests_the_closest():
    with pytest.raises(SettingsError, match="did you mean fe.filterbank_n_channels"):
        FrontendSettings.from_dict({"fe.filterbank_num_channels": 40})


def test_unknown_key_without_a_close_name_is_still_named():
    with pytest.raises(SettingsError, match="unknown setting 'zzz'"):
        FrontendSettings.from_dict({"fe.zzz": 1})


def test_fft_length_is_derived_and_must_match():
    assert FrontendSettings.from_dict({"fe.fft_length": 512}).fft_length == 512
    with pytest.raises(SettingsError, match="drop fe.fft_length"):
        FrontendSettings.from_dict({"fe.fft_length": 256})


def test_bad_json_file_names_the_file(tmp_path):
    path = tmp_path / "fe.json"
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="fe.json: not valid JSON"):
        FrontendSettings.load(path)
    path.write_text(json.dumps([1, 2]))
    with pytest.raises(SettingsError, match="expected a JSON object"):
        FrontendSettings.load(path)
