"""Import TensorFlow without its C++ start-up chatter on the terminal, and only when something imports it.

TensorFlow 2.21 prints absl/oneDNN/CPU-feature notices to the C-level stderr on import, which
``TF_CPP_MIN_LOG_LEVEL`` no longer silences. :func:`quiet_tensorflow_imports` adds an import hook: the
first ``import tensorflow`` or ``import keras``, wherever it happens, runs with file descriptor 2 pointed at a
temporary file, then re-prints whatever was not known chatter, so a real error message still reaches the
user. Installing the hook imports nothing, so a command that never needs TensorFlow never loads it.
"""

from __future__ import annotations

import importlib.abc
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType

_CHATTER = re.compile(
    r"(All log messages before absl::InitializeLog|oneDNN custom operations are on|"
    r"This TensorFlow binary is optimized|To enable the following instructions|"
    r"Unable to register cu(DNN|FFT|BLAS) factory|computation placer already registered|"
    r"TF-TRT Warning|cuda drivers on your machine|Could not find cuda drivers|"
    r"fully_quantize: \d+, inference_type: \d+|"  # the converter's quantization summary
    r"^[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] )"  # absl info/warning lines (errors stay)
)
_NOISY_PACKAGES = ("tensorflow", "keras")
_depth = 0  # nested noisy imports (keras imports tensorflow) share the outermost capture


@contextmanager
def hidden_chatter() -> Iterator[None]:
    """Capture C-level stderr for the block; re-print the lines that are not known TensorFlow chatter."""
    global _depth
    _depth += 1
    if _depth > 1:
        try:
            yield
        finally:
            _depth -= 1
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            _depth -= 1
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode("utf-8", "replace").splitlines():
                if line.strip() and not _CHATTER.search(line):
                    print(line, file=sys.stderr)


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of a noisy package inside :func:`hidden_chatter`, then steps aside."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self._loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = module.__spec__.loader = self._loader  # the module keeps its real loader
        with hidden_chatter():
            self._loader.exec_module(module)


class _QuietFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` and ``keras`` through the other finders and wraps their loader."""

    def find_spec(self, fullname: str, path, target=None) -> ModuleSpec | None:  # noqa: ANN001 - the finder protocol
        if fullname not in _NOISY_PACKAGES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


def quiet_tensorflow_imports() -> None:
    """Hide TensorFlow's and Keras's start-up notices whenever they are first imported (idempotent)."""
    if not any(isinstance(finder, _QuietFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietFinder())
