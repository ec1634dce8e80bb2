"""TensorFlow's start-up notices are hidden from the CLI when a command imports it; real messages are not."""

from __future__ import annotations

import subprocess
import sys


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_installing_the_hook_imports_nothing():
    proc = _python("import sys\n"
                   "from harken._util.tfquiet import quiet_tensorflow_imports\n"
                   "quiet_tensorflow_imports()\n"
                   "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_import_hides_start_up_chatter_but_keeps_other_stderr():
    code = ("import os, sys\n"
            "from harken._util.tfquiet import quiet_tensorflow_imports\n"
            "quiet_tensorflow_imports()\n"
            "import keras\n"
            "import tensorflow\n"
            "os.write(2, b'after import\\n')\n"
            "print(type(tensorflow.__loader__).__name__)\n")
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert "oneDNN custom operations" not in proc.stderr and "absl::InitializeLog" not in proc.stderr
    assert "after import" in proc.stderr
    assert proc.stdout.strip() == "SourceFileLoader"  # the module keeps its real loader


def test_hidden_chatter_drops_the_converters_summary_and_keeps_real_errors():
    """The int8 converter prints its quantization summary on C-level stderr; conversions hide it, not errors."""
    code = ("import os\n"
            "from harken._util.tfquiet import hidden_chatter\n"
            "with hidden_chatter():\n"
            "    os.write(2, b'fully_quantize: 0, inference_type: 6, input_inference_type: INT8\\n')\n"
            "    os.write(2, b'error: something real\\n')\n")
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert "fully_quantize" not in proc.stderr and "error: something real" in proc.stderr


def test_hidden_chatter_drops_absl_info_and_warning_lines_but_not_errors():
    code = ("import os\n"
            "from harken._util.tfquiet import hidden_chatter\n"
            "with hidden_chatter():\n"
            "    os.write(2, b'W0000 00:00:1796570907.015249    2669 tf_tfl_flatbuffer_helpers.cc:364] Ignored output_format.\\n')\n"
            "    os.write(2, b'I0000 00:00:1796570907.015443    2669 reader.cc:83] Reading SavedModel from: /tmp/x\\n')\n"
            "    os.write(2, b'E0000 00:00:1796570907.015443    2669 convert.cc:1] conversion failed\\n')\n")
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert "Ignored output_format" not in proc.stderr and "Reading SavedModel" not in proc.stderr
    assert "conversion failed" in proc.stderr
