"""The bad-input corpus: generated audio, models, specs, settings, manifests and dataset folders.

Everything is made in a temporary folder from tests/data/params (a tiny int8 model with SL_PARAMSv1)
and a few synthetic clips, so no TensorFlow conversion is needed. :func:`cases` lists each bad input
with the command that meets it, the text its one-line error must hold and the path that must stay as it was.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

PARAMS_DATA = Path(__file__).resolve().parents[1] / "data" / "params"
MODEL = PARAMS_DATA / "tiny_with_params.tflite"  # int8 98x104 -> 3 (on, off, _unknown_), 16 kHz fe.* settings
RATE = 16000
NON_UTF8_NAME = b"caf\xe9_spk7_nohash_0.wav"


@dataclass(frozen=True)
class Case:
    """One bad input: ``argv`` fails with exit code 2 and one ``error:`` line holding every ``expect`` text."""

    name: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]
    target: Path | None = None  # must be byte-for-byte unchanged afterwards
    needs: str | None = None  # "readonly": needs a folder this user cannot write
    enospc: bool = False  # run with a full disk simulated (OSError ENOSPC at the final rename)
    extra: dict = field(default_factory=dict)


def tone(seconds: float = 1.0, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_clip(path: Path | bytes, x: np.ndarray | None = None, subtype: str = "PCM_16") -> None:
    sf.write(path, tone() if x is None else x, RATE, subtype=subtype, format="WAV")


def make_dataset(root: Path, *, per_class: int = 2) -> Path:
    """A folder of class folders (on, off, _unknown_) of 1 s tones."""
    for c, freq in (("on", 300.0), ("off", 900.0), ("_unknown_", 1800.0)):
        (root / c).mkdir(parents=True)
        for k in range(per_class):
            write_clip(root / c / f"{c}_spk{k}_nohash_0.wav", tone(freq=freq * (1 + 0.1 * k)))
    return root


def nan_clip() -> np.ndarray:
    x = tone()
    x[100] = np.nan
    return x


def build_files(root: Path) -> dict[str, Path]:
    """Every input file of the corpus (models, wavs, settings, specs, manifests, datasets) under ``root``."""
    rng = np.random.default_rng(0)
    good = MODEL.read_bytes()
    raw = (PARAMS_DATA / "sl_params_v1.bin").read_bytes()
    f: dict[str, Path] = {"root": root}
    f["good"] = root / "good.tflite"
    f["good"].write_bytes(good)
    f["truncated"] = root / "truncated.tflite"
    f["truncated"].write_bytes(good[: len(good) // 2])
    f["random"] = root / "random.tflite"
    f["random"].write_bytes(b"\x00\x00\x00\x00TFL3" + rng.bytes(3000))
    damaged = bytearray(good)
    start = good.find(raw)
    damaged[start + 4 : start + 200] = rng.bytes(196)
    f["bad_params"] = root / "bad_params.tflite"
    f["bad_params"].write_bytes(bytes(damaged))
    from harken.export.tflite import read_params_typed, write_params

    params = read_params_typed(good)
    params["fe.zzzqqq_xyz"] = 3
    f["extra_fe"] = root / "extra_fe.tflite"
    f["extra_fe"].write_bytes(write_params(good, params))

    f["wav"] = root / "clip.wav"
    write_clip(f["wav"])
    whole = f["wav"].read_bytes()
    f["truncated_wav"] = root / "cut.wav"
    f["truncated_wav"].write_bytes(whole[: len(whole) // 2])
    f["noise_wav"] = root / "noise.wav"
    f["noise_wav"].write_bytes(rng.bytes(5000))
    f["nan_wav"] = root / "nan.wav"
    write_clip(f["nan_wav"], nan_clip(), subtype="FLOAT")
    f["loop_wav"] = root / "loop1.wav"
    os.symlink("loop2.wav", root / "loop1.wav")
    os.symlink("loop1.wav", root / "loop2.wav")
    f["unknown_fe"] = root / "unknown_fe.json"
    f["unknown_fe"].write_text(json.dumps({"fe.zzzqqq_xyz": 1}))
    f["bad_aug"] = root / "bad_aug.json"
    f["bad_aug"].write_bytes(b"\x80\x81 not json")
    f["spec_syntax"] = root / "broken_spec.py"
    f["spec_syntax"].write_text("import harken\nspec = harken.ModelSpec(\n")
    f["spec_wrong"] = root / "wrong_spec.py"
    f["spec_wrong"].write_text("spec = 3\n")
    f["manifest_bytes"] = root / "manifest.csv"
    f["manifest_bytes"].write_bytes(b"file,speaker\n\xff\xfe,x\n")
    f["manifest_split"] = root / "manifest_split.csv"
    f["manifest_split"].write_text("file,split\non/on_spk0_nohash_0.wav,bogus\n")

    f["dataset"] = make_dataset(root / "dataset")
    f["all_nan"] = root / "all_nan"
    for c in ("on", "off", "_unknown_"):
        (f["all_nan"] / c).mkdir(parents=True)
        write_clip(f["all_nan"] / c / f"{c}_spk0_nohash_0.wav", nan_clip(), subtype="FLOAT")
    f["mixed"] = make_dataset(root / "mixed")  # good clips, plus one of each bad kind
    write_clip(f["mixed"] / "on" / "nan_spk5_nohash_0.wav", nan_clip(), subtype="FLOAT")
    os.symlink("loop_b.wav", f["mixed"] / "off" / "loop_a.wav")
    os.symlink("loop_a.wav", f["mixed"] / "off" / "loop_b.wav")
    write_clip(os.path.join(os.fsencode(f["mixed"] / "on"), NON_UTF8_NAME))
    (f["mixed"] / "_unknown_" / "cut_spk6_nohash_0.wav").write_bytes(whole[: len(whole) // 2])
    return f


def cases(f: dict[str, Path], out: Path, readonly: Path) -> list[Case]:
    """Every exit-code-2 case, given the files, a writable scratch folder and a read-only folder."""
    good, d = str(f["good"]), str(f["dataset"])
    model_copy = model_copy_path(out)  # the caller copies the good model there first
    ro_model = readonly / "ro_model.tflite"  # placed by the readonly fixture
    list_: list[Case] = []
    for key, problem in (("truncated", "damaged or truncated"), ("random", "no subgraph"),
                         ("bad_params", "SL_PARAMSv1 buffer is not a valid parameter dictionary")):  # fmt: skip
        path = str(f[key])
        list_ += [
            Case(f"summarize-{key}", ("summarize", path), (path, problem), f[key]),
            Case(f"evaluate-{key}", ("evaluate", path, "-d", d, "-o", str(out / f"ev-{key}"), "-q"), (path, problem),
                 out / f"ev-{key}"),
            Case(f"calibrate-{key}", ("calibrate", path, "-d", d, "-q"), (path, problem), f[key]),
            Case(f"update-params-{key}", ("update-params", path, "suppression_ms=500"), (path, problem), f[key]),
        ]  # fmt: skip
    unknown, extra = str(f["unknown_fe"]), str(f["extra_fe"])
    list_ += [
        Case("features-unknown-fe", ("features", str(f["wav"]), "-s", unknown, "-o", str(out / "f.npz")),
             (unknown, "unknown setting 'zzzqqq_xyz'", "fix its name or remove it"), out / "f.npz"),
        Case("view-audio-unknown-fe", ("view-audio", str(f["wav"]), "-s", unknown, "-o", str(out / "v0"), "--no-rooms"),
             (unknown, "unknown setting 'zzzqqq_xyz'"), out / "v0"),
        Case("evaluate-extra-fe-key", ("evaluate", extra, "-d", d, "-o", str(out / "ev-x"), "-q"),
             (extra, "fe.zzzqqq_xyz"), out / "ev-x"),
        Case("calibrate-extra-fe-key", ("calibrate", extra, "-d", d, "-q"), (extra, "fe.zzzqqq_xyz"), f["extra_fe"]),
        Case("summarize-wav", ("summarize", str(f["wav"])), (str(f["wav"]), "not a spec file")),
        Case("train-wav", ("train", str(f["wav"])), (str(f["wav"]), "not a spec file")),
        Case("train-spec-syntax", ("train", str(f["spec_syntax"])), (str(f["spec_syntax"]) + ":", "syntax error")),
        Case("summarize-spec-not-a-spec", ("summarize", str(f["spec_wrong"])), (str(f["spec_wrong"]), "not a harken.ModelSpec")),
        Case("features-symlink-loop", ("features", str(f["loop_wav"]), "-o", str(out / "loop.npz")),
             (str(f["loop_wav"]), "symbolic links"), out / "loop.npz"),
        Case("features-random-bytes-wav", ("features", str(f["noise_wav"]), "-o", str(out / "n.npz")),
             (str(f["noise_wav"]), "not a readable audio file (Format not recognised"), out / "n.npz"),
        Case("view-audio-nan-wav", ("view-audio", str(f["nan_wav"]), "-o", str(out / "v2"), "--no-rooms"),
             (str(f["nan_wav"]), "NaN"), out / "v2"),
        Case("view-audio-augmentation-binary", ("view-audio", str(f["wav"]), "--augmentation", str(f["bad_aug"]),
             "-o", str(out / "v1"), "--no-rooms"), (str(f["bad_aug"]), "JSON"), out / "v1"),
        Case("evaluate-all-clips-nan", ("evaluate", good, "-d", str(f["all_nan"]), "-o", str(out / "ev-nan"), "-q"),
             ("none of the 3 clips could be read", "NaN"), out / "ev-nan"),
        Case("evaluate-manifest-not-utf8", ("evaluate", good, "-d", d, "-o", str(out / "ev-m"), "-q",
             "--speaker-manifest", str(f["manifest_bytes"])), (str(f["manifest_bytes"]), "UTF-8"), out / "ev-m"),
        Case("evaluate-manifest-bad-split", ("evaluate", good, "-d", d, "-o", str(out / "ev-s"), "-q",
             "--speaker-manifest", str(f["manifest_split"])), (str(f["manifest_split"]), "bogus"), out / "ev-s"),
    ]  # fmt: skip
    m = str(model_copy)
    for setting, problem in (("fe.sample_rate_hz=abc", "fe.sample_rate_hz='abc' must be int"),
                             ("detection_threshold_list=[999,1,1]", "0..255"),
                             ('classes=["on"]', "1 classes ['on'] for a model with 3 outputs"),
                             ("fe.window_size_ms=-30", "fe.window_size_ms=-30 must be > 0"),
                             ("average_window_duration_ms=-1", "average_window_duration_ms=-1"),
                             ("supression_ms=500", "did you mean 'suppression_ms'"),
                             ("zzz_unknown=1", "--force"),
                             ("minimum_count=51", "minimum_count=51"),
                             ("hash=abc", "hash is computed")):  # fmt: skip
        list_.append(Case(f"update-params-{setting.split('=')[0]}", ("update-params", m, setting), (m, problem),
                          model_copy))
    ro = str(readonly)
    list_ += [
        Case("features-readonly-out", ("features", str(f["wav"]), "-o", f"{ro}/f.npz"), (f"{ro}/f.npz", "cannot write"),
             readonly, needs="readonly"),
        Case("features-readonly-png", ("features", str(f["wav"]), "-o", str(out / "p.npz"), "--png", f"{ro}/png"),
             (f"{ro}/png", "cannot write"), readonly, needs="readonly"),
        Case("view-audio-readonly-out", ("view-audio", str(f["wav"]), "-o", f"{ro}/views", "--count", "1", "--no-rooms"),
             (f"{ro}/views", "cannot write"), readonly, needs="readonly"),
        Case("evaluate-readonly-out", ("evaluate", good, "-d", d, "-o", f"{ro}/ev", "-q"), (f"{ro}/ev", "cannot write"),
             readonly, needs="readonly"),
        Case("calibrate-readonly-model", ("calibrate", str(ro_model), "-d", d, "-q", "--no-backup"),
             (str(ro_model), "cannot write"), readonly, needs="readonly"),
        Case("calibrate-readonly-model-backup", ("calibrate", str(ro_model), "-d", d, "-q"),
             (str(ro_model),), readonly, needs="readonly"),
        Case("update-params-readonly-model", ("update-params", str(ro_model), "suppression_ms=500"),
             (str(ro_model), "cannot write"), readonly, needs="readonly"),
        Case("features-disk-full", ("features", str(f["wav"]), "-o", str(out / "full.npz")),
             (str(out / "full.npz"), "No space left on device"), out / "full.npz", enospc=True),
        Case("view-audio-disk-full", ("view-audio", str(f["wav"]), "-o", str(out / "full-views"), "--count", "1",
             "--no-rooms"), (str(out / "full-views"), "No space left on device"), out / "full-views", enospc=True),
        Case("evaluate-disk-full", ("evaluate", good, "-d", d, "-o", str(out / "full-ev"), "-q"),
             (str(out / "full-ev"), "No space left on device"), out / "full-ev", enospc=True),
        Case("calibrate-disk-full", ("calibrate", m, "-d", d, "-q", "--no-backup"), (m, "No space left on device"),
             model_copy, enospc=True),
        Case("update-params-disk-full", ("update-params", m, "suppression_ms=500"), (m, "No space left on device"),
             model_copy, enospc=True),
    ]  # fmt: skip
    return list_


def model_copy_path(out: Path) -> Path:
    """Where the cases expect a writable copy of the good model."""
    return out / "models" / "m.tflite"


def copy_model(out: Path) -> Path:
    """Put a fresh copy of the good model at :func:`model_copy_path`."""
    dst = model_copy_path(out)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MODEL, dst)
    return dst


def snapshot(path: Path | None) -> object:
    """What is at ``path``: None if nothing, a file's bytes hash and mode, a folder's listing with hashes."""
    if path is None or not os.path.lexists(path):
        return None
    if path.is_dir():
        return sorted((str(p.relative_to(path)), snapshot(p) if p.is_file() else "dir") for p in path.rglob("*"))
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode


def enospc_replace(src, dst, *args, **kwargs):
    """A stand-in for ``os.replace`` that fails like a full disk (the temp file was written, the rename is refused)."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(dst))


def make_readonly(folder: Path) -> bool:
    """Make ``folder`` unwritable for this process: chmod for a user, a read-only tmpfs for root.

    Returns False when that is impossible here (root without the right to mount).
    """
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        shutil.copyfile(MODEL, folder / "ro_model.tflite")
        folder.chmod(0o555)
        return True
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True).returncode:
        return False
    shutil.copyfile(MODEL, folder / "ro_model.tflite")
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)
    return True


def undo_readonly(folder: Path) -> None:
    """Undo :func:`make_readonly`."""
    if os.geteuid() != 0:
        folder.chmod(0o755)
    else:
        subprocess.run(["umount", str(folder)], capture_output=True)


def run_cli(argv, monkeypatch, capsys) -> tuple[int, str, str]:
    """Run ``harken ARGV`` as the installed command does; return (exit code, stdout, stderr)."""
    from harken.cli.app import run
    from harken.cli.main import app

    monkeypatch.setattr(sys, "argv", ["harken", *argv])
    code = 0
    try:
        run(app)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err
