"""TensorFlow's start-up notices are hidden from the CLI; real messages are not."""

from __future__ import annotations

import subprocess
import sys

from harken.cli.main import _needs_tensorflow


def test_only_commands_that_load_tensorflow_import_it_up_front():
    assert _needs_tensorflow(["train", "on_off_offline"])
    assert _needs_tensorflow(["evaluate", "model.keras", "--dataset", "d"])
    assert not _needs_tensorflow(["evaluate", "model.tflite", "--dataset", "d"])
    assert not _needs_tensorflow(["features", "x.wav"])
    assert not _needs_tensorflow([])


def test_import_hides_start_up_chatter_but_keeps_other_stderr():
    code = ("import os, sys\n"
            "from harken._util.tfquiet import import_tensorflow\n"
            "import_tensorflow()\n"
            "os.write(2, b'after import\\n')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "oneDNN custom operations" not in proc.stderr and "absl::InitializeLog" not in proc.stderr
    assert "after import" in proc.stderr
