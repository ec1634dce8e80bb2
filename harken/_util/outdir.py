"""Output folders that are either written or left as they were: ``with output_folder(path) as out: ...``.

In: a folder path (created with its parents when missing). Out: the folder, for the block to write into.
When the block fails, the folders this call created are removed again if they are still empty, and an
``OSError`` (read-only folder, full disk, a file in the way) becomes one ``OutputError`` line naming the file.
Each file is still written atomically by its writer (``harken._util.atomic``); this module writes no file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from harken.errors import output_error


def _missing_parents(path: Path) -> list[Path]:
    """``path`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


@contextmanager
def output_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Create ``path`` (and parents); on failure remove the still-empty folders made here; OSError -> OutputError.

    Examples
    --------
    >>> with output_folder(tmp / "results") as out:  # doctest: +SKIP
    ...     (out / "a.txt").write_text("x")
    """
    folder = Path(path).expanduser()
    created = _missing_parents(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
    except OSError as exc:
        _remove_empty(created)
        raise output_error(exc.filename or folder, exc) from None
    except BaseException:
        _remove_empty(created)
        raise


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first; a folder with anything in it stays
        with suppress(OSError):
            folder.rmdir()
