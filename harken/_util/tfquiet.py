"""Import TensorFlow without its C++ start-up chatter on the terminal.

TensorFlow 2.21 prints absl/oneDNN/CPU-feature notices to the C-level stderr on import, which
``TF_CPP_MIN_LOG_LEVEL`` no longer silences. The CLI imports it through ``import_tensorflow`` with
file descriptor 2 pointed at a temporary file, then re-prints whatever was not known chatter, so a
real error message still reaches the user.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

_CHATTER = re.compile(
    r"(All log messages before absl::InitializeLog|oneDNN custom operations are on|"
    r"This TensorFlow binary is optimized|To enable the following instructions|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered|"
    r"TF-TRT Warning|cuda drivers on your machine|Could not find cuda drivers)"
)


def import_tensorflow() -> None:
    """Import tensorflow (and keras) once, hiding only the known start-up notices."""
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode("utf-8", "replace").splitlines():
                if line.strip() and not _CHATTER.search(line):
                    print(line, file=sys.stderr)
