"""Where harken keeps its caches: ``$HARKEN_HOME``, else ``~/.harken``.

In: the environment. Out: paths. Nothing here creates a folder: callers create what they write
(importing harken has no side effects).
"""

from __future__ import annotations

import os
from pathlib import Path

HARKEN_HOME_ENV = "HARKEN_HOME"


def harken_home() -> Path:
    """The root of harken's caches: ``$HARKEN_HOME`` when set and non-empty, else ``~/.harken``.

    Read on every call, so a test or a shell can change it at any time.

    Examples
    --------
    >>> import os; os.environ["HARKEN_HOME"] = "/tmp/hk"
    >>> str(harken_home())
    '/tmp/hk'
    >>> del os.environ["HARKEN_HOME"]
    """
    value = os.environ.get(HARKEN_HOME_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    return Path("~/.harken").expanduser()


def downloads_dir() -> Path:
    """Downloaded archives (and their ``.part`` files while a download is under way)."""
    return harken_home() / "downloads"


def datasets_dir() -> Path:
    """Extracted datasets, one folder per source name."""
    return harken_home() / "datasets"


def cache_dir() -> Path:
    """Small derived caches (directory scans and the like); safe to delete at any time."""
    return harken_home() / "cache"
