"""``--style gecko``: the vendor SDK's file and macro names compile (C99 and C++17, -Wall -Wextra -Werror)
and work as a vendor project uses them: the model loads in TFLM through ``SL_TFLITE_MICRO_OPCODE_RESOLVER``
with ``SL_TFLITE_MODEL_RUNTIME_MEMORY_SIZE`` (plus 4 KiB) of arena. Skipped only without $HARKEN_TFLM_DIR."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.slow


def test_gecko_files_drop_into_a_vendor_style_program(tflm_dir, tflm_library, tmp_path):
    from harken.export.firmware.generate import export_firmware

    out = export_firmware(DATA / "firmware" / "quickstart.tflite", tmp_path / "gecko", style="gecko").out
    third_party = [f"-isystem{tflm_dir / 'third_party' / d}" for d in ("flatbuffers/include", "gemmlowp", "ruy")]
    flags = ["-Wall", "-Wextra", "-Werror", f"-I{out}", f"-isystem{tflm_dir}", *third_party, "-DTF_LITE_STATIC_MEMORY"]
    model_o = tmp_path / "model.o"
    steps = [["cc", "-std=c99", *flags, "-c", str(out / "sl_tflite_micro_model.c"), "-o", str(model_o)],
             ["c++", "-std=c++17", "-fno-exceptions", "-fno-rtti", *flags, str(Path(__file__).with_name("gecko_check.cc")),
              str(model_o), str(tflm_library), "-o", str(tmp_path / "gecko_check")]]  # fmt: skip
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    run = subprocess.run([str(tmp_path / "gecko_check")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    size = (DATA / "firmware" / "quickstart.tflite").stat().st_size
    assert run.stdout.strip() == f"len={size} rate=16000 channels=104 classes=3 first=on"
