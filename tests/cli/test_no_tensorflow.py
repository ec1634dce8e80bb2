"""``--help``, ``features`` and ``evaluate``/``summarize``/``classify-audio`` of an int8 .tflite (and classify-audio of
an archive) never import TensorFlow or Keras.

Each command runs through ``harken.cli.main.main`` in a fresh interpreter, which then prints the top-level
modules it has loaded. The .tflite is the stored SL_PARAMSv1 fixture (int8, classes and fe.* embedded).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import DATA, GOLDEN_FRONTEND

TINY_TFLITE = DATA / "params" / "tiny_with_params.tflite"  # 16 kHz, 98x104 int8 in, classes on/off/_unknown_

RUN_AND_LIST_MODULES = textwrap.dedent("""
    import json, sys
    from harken.cli.main import main

    sys.argv = ["harken", *json.loads(sys.argv[1])]
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code or 0
    print(json.dumps({"exit": code, "modules": sorted({name.split(".")[0] for name in sys.modules})}))
""")


def _modules_after(*args: str, cwd: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", RUN_AND_LIST_MODULES, json.dumps(list(args))], cwd=cwd,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    """A folder of 1 s, 16 kHz tones in on/, off/ and yes/ (which the model counts as _unknown_)."""
    root = tmp_path_factory.mktemp("no_tf_clips")
    t = np.arange(16000) / 16000
    for word, freq in (("on", 300), ("off", 900), ("yes", 1800)):
        (root / word).mkdir()
        for speaker in range(2):
            tone = 0.3 * np.sin(2 * np.pi * freq * (1 + 0.1 * speaker) * t)
            sf.write(root / word / f"spk{speaker}_nohash_0.wav", tone.astype(np.float32), 16000, subtype="PCM_16")
    return root


@pytest.mark.parametrize("command", ["help", "features", "evaluate", "summarize", "classify-audio", "classify-archive"])
def test_command_never_imports_tensorflow_or_keras(command, clips, tmp_path):
    args = {
        "help": ["--help"],
        "features": ["features", str(GOLDEN_FRONTEND / "inputs/16k/on_enus-f3_s150.wav"), "--out",
                     str(tmp_path / "f.npz"), "-q"],
        "evaluate": ["evaluate", str(TINY_TFLITE), "--dataset", str(clips), "--out", str(tmp_path), "-q"],
        "summarize": ["summarize", str(TINY_TFLITE)],
        "classify-audio": ["classify-audio", str(TINY_TFLITE), str(clips / "on" / "spk0_nohash_0.wav"), "--json",
                           str(tmp_path / "d.json")],
        "classify-archive": ["classify-audio", str(_archive(tmp_path)), str(clips / "on" / "spk0_nohash_0.wav")],
    }[command]
    result = _modules_after(*args, cwd=tmp_path)
    assert result["exit"] == 0
    assert "tensorflow" not in result["modules"] and "keras" not in result["modules"]
    if command == "evaluate":
        assert (tmp_path / "eval-results.json").is_file()  # the command did run
    if command == "classify-audio":
        assert (tmp_path / "d.json").is_file()


def _archive(folder: Path) -> Path:
    """A NAME.harken.zip holding the fixture as its int8 model."""
    import zipfile

    path = folder / "tiny.harken.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(TINY_TFLITE, "tiny.tflite")
    return path
