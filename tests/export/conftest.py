"""Session fixtures of the firmware build tests: the local TFLM tree, the TFLM library built once, the
test models exported and their reference applications built on the host.

The tests that build skip with a one-line reason only when ``$HARKEN_TFLM_DIR`` is unset (a machine
without the local TFLM tree); when it is set they must build and pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.export.firmware_build import CACHE_ENV, TFLM_ENV, build_app, build_tflm_library

FIRMWARE_MODELS = {"quickstart": DATA / "firmware" / "quickstart.tflite",
                   "small_cnn": DATA / "firmware" / "small_cnn.tflite"}  # fmt: skip


@pytest.fixture(scope="session")
def tflm_dir() -> Path:
    value = os.environ.get(TFLM_ENV)
    if not value:
        pytest.skip(f"{TFLM_ENV} is not set (no local TFLM tree): firmware builds skipped")
    path = Path(value)
    assert (path / "tensorflow" / "lite" / "micro" / "micro_interpreter.h").is_file(), (
        f"{TFLM_ENV}={value} is not a tflite-micro tree")
    return path


@pytest.fixture(scope="session")
def firmware_models(tmp_path_factory) -> dict[str, Path]:
    """The stored test models, plus ``quickstart_activity``: the quickstart model with the front end's
    activity detection on (the device runs the model only on activity)."""
    import shutil

    from harken.export.tflite import update_params

    variant = tmp_path_factory.mktemp("models") / "quickstart_activity.tflite"
    shutil.copy(FIRMWARE_MODELS["quickstart"], variant)
    update_params(variant, {"fe.activity_detection_enable": True})
    return {**FIRMWARE_MODELS, "quickstart_activity": variant}


@pytest.fixture(scope="session")
def firmware_exports(firmware_models, tmp_path_factory) -> dict:
    """Each test model exported (harken style): {name: ExportResult}."""
    from harken.export.firmware.generate import export_firmware

    root = tmp_path_factory.mktemp("firmware")
    return {name: export_firmware(path, root / name) for name, path in firmware_models.items()}


@pytest.fixture(scope="session")
def tflm_library(tflm_dir, firmware_exports, request) -> Path:
    """libtflm.a with the kernels of every test model, built once (cached across sessions)."""
    from harken.export.firmware.ops import kernel_sources

    kernels = kernel_sources([op for result in firmware_exports.values() for op in result.model.ops])
    cache = Path(os.environ[CACHE_ENV]) if os.environ.get(CACHE_ENV) else request.config.cache.mkdir("harken-tflm")
    cmake_dir = next(iter(firmware_exports.values())).out / "cmake"
    return build_tflm_library(tflm_dir, cmake_dir, kernels, cache)


@pytest.fixture(scope="session")
def firmware_apps(tflm_dir, tflm_library, firmware_exports) -> dict[str, Path]:
    """The reference application of each test model, built on the host: {name: executable}."""
    return {name: build_app(result.out, tflm_dir, tflm_library, result.app_name)
            for name, result in firmware_exports.items()}
