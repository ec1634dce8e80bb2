"""The front end reproduces every reference spectrogram value for value."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
import soundfile as sf

from harken.frontend import FrontendSettings, compute_spectrograms
from tests.conftest import GOLDEN_FRONTEND, golden_settings_files, load_golden


def _cases() -> list[tuple[str, str]]:
    cases = []
    for path in golden_settings_files():
        meta = load_golden(path)
        for name in sorted(np.load(GOLDEN_FRONTEND / "outputs" / f"{meta['id']}.npz").files):
            cases.append((meta["id"], name))
    return cases


@lru_cache(maxsize=None)
def _computed(setting_id: str) -> tuple[dict, dict]:
    meta = load_golden(GOLDEN_FRONTEND / "settings" / f"{setting_id}.json")
    settings = FrontendSettings.from_dict(meta["settings"])
    reference = np.load(GOLDEN_FRONTEND / "outputs" / f"{setting_id}.npz")
    names = sorted(reference.files)
    clips = np.stack([sf.read(GOLDEN_FRONTEND / meta["inputs"] / n, dtype="int16")[0] for n in names])
    ours = compute_spectrograms(clips, settings, dtype=meta["dtype"])
    return {n: ours[i] for i, n in enumerate(names)}, {n: reference[n] for n in names}


def test_golden_set_is_complete():
    cases = _cases()
    assert len(cases) == 8 * 41 + 3  # 8 one-second settings x 41 clips + the 2 s setting x 3
    assert {c[0] for c in cases} == {p.stem for p in golden_settings_files()}


@pytest.mark.parametrize("setting_id,file_name", _cases())
def test_spectrogram_equals_reference(setting_id, file_name):
    ours, reference = _computed(setting_id)
    got, want = ours[file_name], reference[file_name]
    assert got.dtype == want.dtype, f"{setting_id}/{file_name}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{setting_id}/{file_name}: shape {got.shape} != {want.shape}"
    diff = np.argwhere(got != want)
    if len(diff):
        frame, channel = diff[0]
        pytest.fail(
            f"setting {setting_id}, file {file_name}: {len(diff)} values differ; first at frame {frame}, "
            f"channel {channel}: harken {got[frame, channel]} != reference {want[frame, channel]}"
        )


@pytest.mark.parametrize("settings_file", golden_settings_files(), ids=lambda p: p.stem)
def test_spectrogram_shape_follows_frame_formula(settings_file):
    meta = load_golden(settings_file)
    settings = FrontendSettings.from_dict(meta["settings"])
    frames = (meta["sample_length"] - settings.window_size) // settings.window_step + 1
    assert (frames, settings.filterbank_n_channels) == tuple(meta["spectrogram_shape"])
