"""What a killed run leaves in its work directory, and the lock that tells that its writer is dead.

A training run holds ``WORK/.lock`` (an exclusive ``flock``) from before its first write to its
end; the OS drops the lock when the process dies, even by SIGKILL. A run that gets the lock
therefore knows that the temporary files of training writes in the folder (``.NAME.keras.x1y2z3ab.keras``,
``state/.epoch-00003.weights.h5....``: :func:`harken._util.atomic.atomic_path`'s names) belong to a
dead run, and removes them; a second ``harken train`` of the same spec while one runs is refused
instead of mixing their files. Temporary ``.tflite`` files are left alone: ``harken quantize``
writes those without the lock. Without ``fcntl`` (Windows) there is no lock and nothing is removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harken.errors import HarkenError
from harken.training.resume import BEST_WEIGHTS, STATE_DIR, STATE_FILE

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_FILE = ".lock"
_RANDOM = r"\.[a-z0-9_]{8}\..+"  # what atomic_path adds to a name: mkstemp's 8 characters and a suffix
_STATE_TEMP = re.compile(rf"\.(epoch-\d{{5}}\.(weights\.h5|optimizer\.npz|seeds\.npz)|{re.escape(STATE_FILE)}){_RANDOM}")
#: Files only training writes in a work directory (or an ensemble member's folder).
TRAINING_FILES = ("{name}.keras", "member.keras", BEST_WEIGHTS, "history.json", "history.png", "representative.npy",
                  "validation_results.json", "summary.txt", "summary_tflite.txt", "run.json")


@contextmanager
def run_lock(work_dir: Path) -> Iterator[None]:
    """Hold ``work_dir``'s lock for the block; a ``HarkenError`` if another process holds it."""
    if fcntl is None:
        yield
        return
    work_dir.mkdir(parents=True, exist_ok=True)
    with open(work_dir / LOCK_FILE, "a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HarkenError(f"{work_dir}: another harken process is training this model now; wait for it to "
                              "end or stop it, then train again") from None
        yield


def remove_dead_temp_files(work_dir: Path, name: str) -> list[Path]:
    """With the lock held: remove the temporary files of training writes in ``work_dir``, its state and members."""
    if fcntl is None:
        return []
    targets = "|".join(re.escape(n.format(name=name)) for n in TRAINING_FILES)
    work_temp = re.compile(rf"\.({targets}){_RANDOM}")
    folders = [work_dir, *sorted(p for p in (work_dir / "members").glob("*") if p.is_dir())]
    removed = []
    for folder in folders:
        for pattern, where in ((work_temp, folder), (_STATE_TEMP, folder / STATE_DIR)):
            for path in where.glob(".*"):
                if pattern.fullmatch(path.name) and path.is_file() and not path.is_symlink():
                    path.unlink(missing_ok=True)
                    removed.append(path)
    return removed
