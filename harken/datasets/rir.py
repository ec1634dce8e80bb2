"""A bank of room impulse responses (RIRs) simulated with pyroomacoustics, built once and cached.

In: ``RirBankSettings`` (how many, room sizes, reverberation times, sample rate, seed).
Out: ``RirBank``: float32 impulse responses (direct path near sample 0, unit energy), each with
its room size, RT60, absorption, image-source order and source-microphone distance.

Each RIR i is drawn from ``default_rng([seed, i])``: a shoebox room, an RT60 (Sabine's formula
gives the wall absorption and the image-source order), then a source and a microphone at least
0.5 m from the walls and 0.3 m apart. Full-order simulation takes ~0.1-0.2 s per RIR, so
``rir_bank`` caches the bank as ``$HARKEN_HOME/rir/rir-<hash>.npz`` (written atomically) and later
calls load it. Convolving speech with an RIR is the augmentation stage's job.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harken._util.settings import Settings, check_count, check_number, check_range
from harken.errors import SettingsError

log = logging.getLogger(__name__)


@dataclass(slots=True, kw_only=True)
class RirBankSettings(Settings):
    """What the RIR bank holds. Ranges are drawn uniformly per RIR."""

    num_rirs: int = 64
    sample_rate_hz: int = 16000
    min_room_m: tuple[float, float, float] = (2.5, 2.5, 2.2)
    max_room_m: tuple[float, float, float] = (10.0, 8.0, 4.0)
    min_rt60_s: float = 0.1
    max_rt60_s: float = 0.8
    max_order: int | None = None  # None: the full order Sabine asks for
    max_length_s: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        self.min_room_m = tuple(float(v) for v in self.min_room_m)
        self.max_room_m = tuple(float(v) for v in self.max_room_m)
        self.validate()

    def validate(self) -> None:
        """Raise SettingsError naming the first bad field."""
        check_count(self, "num_rirs", lo=1)
        check_count(self, "sample_rate_hz", lo=4000, hi=384_000)
        if len(self.min_room_m) != 3 or len(self.max_room_m) != 3:
            raise SettingsError("RirBankSettings.min_room_m / max_room_m: give three sizes (x, y, z) in metres")
        for lo, hi in zip(self.min_room_m, self.max_room_m):
            if not 1.2 <= lo <= hi:
                raise SettingsError(
                    f"RirBankSettings room sizes {self.min_room_m}..{self.max_room_m}: each side needs "
                    "1.2 m <= min <= max (the source and mic keep 0.5 m from the walls)"
                )
        check_range(self, "rt60_s", lo=0.05, hi=3.0, unit=" s")
        if self.max_order is not None and self.max_order < 0:
            raise SettingsError(f"RirBankSettings.max_order={self.max_order}: use None (full) or >= 0")
        check_number(self, "max_length_s", lo=0.001, hi=10.0, unit=" s")

    def cache_key(self) -> str:
        import pyroomacoustics

        blob = json.dumps({"v": 1, "pra": pyroomacoustics.__version__, **self.to_dict()}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


@dataclass(slots=True, kw_only=True)
class RirBank:
    """Impulse responses ``rirs[i, :lengths[i]]`` (float32, unit energy) and how each was made."""

    rirs: np.ndarray  # [num_rirs, max_len] float32, zero-padded
    lengths: np.ndarray  # [num_rirs] int
    room_m: np.ndarray  # [num_rirs, 3]
    rt60_s: np.ndarray  # [num_rirs] requested RT60
    absorption: np.ndarray  # [num_rirs] energy absorption of the walls
    order: np.ndarray  # [num_rirs] image-source order used
    distance_m: np.ndarray  # [num_rirs] source-microphone distance
    sample_rate_hz: int

    def __len__(self) -> int:
        return int(self.rirs.shape[0])

    def get(self, index: int) -> np.ndarray:
        """RIR ``index`` without its padding."""
        return self.rirs[index, : int(self.lengths[index])]


def _random_point(room: np.ndarray, rng: np.random.Generator, margin: float = 0.5) -> np.ndarray:
    return np.array([rng.uniform(margin, side - margin) for side in room])


def simulate_rir(settings: RirBankSettings, index: int) -> tuple[np.ndarray, dict]:
    """Simulate RIR ``index`` of the bank (seeded from ``(settings.seed, index)``)."""
    import pyroomacoustics as pra

    rng = np.random.default_rng([settings.seed, index])
    room = np.array([rng.uniform(lo, hi) for lo, hi in zip(settings.min_room_m, settings.max_room_m)])
    rt60 = rng.uniform(settings.min_rt60_s, settings.max_rt60_s)
    try:
        absorption, order = pra.inverse_sabine(rt60, room)
    except ValueError:  # the room is too large for that RT60: make the walls fully absorbing
        absorption, order = 1.0, 0
    if settings.max_order is not None:
        order = min(order, settings.max_order)
    source = _random_point(room, rng)
    mic = _random_point(room, rng)
    for _ in range(20):
        if np.linalg.norm(source - mic) >= 0.3:
            break
        mic = _random_point(room, rng)
    shoebox = pra.ShoeBox(room, fs=settings.sample_rate_hz, materials=pra.Material(float(absorption)), max_order=int(order))
    shoebox.add_source(source)
    shoebox.add_microphone(mic)
    shoebox.compute_rir()
    rir = np.asarray(shoebox.rir[0][0], dtype=np.float64)
    start = max(int(np.argmax(np.abs(rir))) - 8, 0)  # keep the direct path, drop the propagation delay
    rir = rir[start : start + int(settings.max_length_s * settings.sample_rate_hz)]
    rir = rir / np.sqrt(np.sum(rir**2))
    info = {"room_m": room, "rt60_s": rt60, "absorption": float(absorption), "order": int(order),
            "distance_m": float(np.linalg.norm(source - mic))}  # fmt: skip
    return rir.astype(np.float32), info


def build_rir_bank(settings: RirBankSettings) -> RirBank:
    """Simulate every RIR of ``settings`` (no cache; see ``rir_bank``)."""
    settings.validate()
    rirs, infos = zip(*(simulate_rir(settings, i) for i in range(settings.num_rirs)))
    lengths = np.array([len(r) for r in rirs])
    padded = np.zeros((len(rirs), int(lengths.max())), np.float32)
    for i, r in enumerate(rirs):
        padded[i, : len(r)] = r
    return RirBank(
        rirs=padded,
        lengths=lengths,
        room_m=np.array([i["room_m"] for i in infos]),
        rt60_s=np.array([i["rt60_s"] for i in infos]),
        absorption=np.array([i["absorption"] for i in infos]),
        order=np.array([i["order"] for i in infos]),
        distance_m=np.array([i["distance_m"] for i in infos]),
        sample_rate_hz=settings.sample_rate_hz,
    )


def rir_bank_path(settings: RirBankSettings, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where ``rir_bank`` caches ``settings``' bank."""
    from harken._util.paths import harken_home

    folder = Path(cache_dir) if cache_dir is not None else harken_home() / "rir"
    return folder / f"rir-{settings.cache_key()}.npz"


def rir_bank(settings: RirBankSettings | None = None, *, cache_dir: str | os.PathLike | None = None) -> RirBank:
    """The RIR bank for ``settings``: loaded from the cache, else simulated and cached.

    Examples
    --------
    >>> bank = rir_bank(RirBankSettings(num_rirs=2, max_order=2, max_length_s=0.1), cache_dir="/tmp/hk-rir")
    >>> len(bank), bank.get(0).dtype.name
    (2, 'float32')
    """
    from harken.datasets.noise import _save_npz_atomic

    settings = settings if settings is not None else RirBankSettings()
    settings.validate()
    path = rir_bank_path(settings, cache_dir)
    if path.is_file():
        with np.load(path) as data:
            return RirBank(**{k: data[k] for k in data.files if k != "sample_rate_hz"}, sample_rate_hz=int(data["sample_rate_hz"]))
    log.info("simulating %d room impulse responses (cached in %s)", settings.num_rirs, path)
    bank = build_rir_bank(settings)
    arrays = {f.name: getattr(bank, f.name) for f in dataclasses.fields(RirBank)}
    arrays["sample_rate_hz"] = np.array(bank.sample_rate_hz)
    _save_npz_atomic(path, arrays)
    return bank
