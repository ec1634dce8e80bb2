"""harken's C front end (DC notch, int8 scaling and harken's filterbank tables around TFLM's
microfrontend) reproduces every golden front-end vector, as harken's Python front end does.

A small test program (``frontend_golden.c``) is compiled with the exported C sources against the
session's TFLM library (``-Wall -Wextra -Werror``, C99) and run in batch mode on each golden setting.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import GOLDEN_FRONTEND, golden_settings_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def frontend_golden(tflm_dir, tflm_library, firmware_exports, tmp_path_factory) -> Path:
    src = next(iter(firmware_exports.values())).out
    exe = tmp_path_factory.mktemp("golden_c") / "frontend_golden"
    includes = [f"-I{src}", f"-isystem{tflm_dir}", f"-isystem{tflm_dir / 'third_party' / 'kissfft'}"]
    proc = subprocess.run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", *includes, "-DFIXED_POINT=16",
                           str(Path(__file__).with_name("frontend_golden.c")), str(src / "harken_frontend.c"),
                           str(src / "harken_wav.c"), str(tflm_library), "-lstdc++", "-lm", "-o", str(exe)],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return exe


@pytest.mark.parametrize("settings_file", golden_settings_files(), ids=lambda p: p.stem)
def test_c_front_end_reproduces_the_golden_vectors(settings_file, frontend_golden, tmp_path):
    golden = json.loads(settings_file.read_text())
    config = tmp_path / "settings.txt"
    config.write_text("".join(f"{k[3:]} {float(v)}\n" for k, v in golden["settings"].items() if k != "fe.fft_length"))
    clips = sorted((GOLDEN_FRONTEND / golden["inputs"]).glob("*.wav"))
    out = tmp_path / "out.bin"
    proc = subprocess.run([str(frontend_golden), str(config), golden["dtype"], str(out), *map(str, clips)],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    expected = np.load(GOLDEN_FRONTEND / "outputs" / f"{golden['id']}.npz")
    got = np.fromfile(out, dtype=golden["dtype"]).reshape(len(clips), *golden["spectrogram_shape"])
    for clip, spectrogram in zip(clips, got):
        assert np.array_equal(spectrogram, expected[clip.name]), clip.name
