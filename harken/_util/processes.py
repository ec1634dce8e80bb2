"""Worker processes that end with their parent, even when the parent is killed with SIGKILL.

A killed parent cannot close its pool, so its workers (hundreds of MB each for training batches)
would live on. On Linux the kernel sends SIGKILL to the worker at once (``prctl(PR_SET_PDEATHSIG)``);
elsewhere, and as a back-up, a daemon thread checks every second that the parent is still its parent.
A process started through multiprocessing's forkserver is the forkserver's child, and the forkserver
lives as long as any of its children: such a worker watches harken's own process instead (:func:`die_with`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """End this process when process ``parent`` (its parent now) ends, however it ends."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watchdog alone
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    threading.Thread(target=watch_parent, args=(parent,), name="harken-parent-watch", daemon=True).start()


def watch_parent(parent: int, interval_s: float = 1.0) -> None:
    """Exit this process once ``parent`` is no longer its parent (it died; the process was handed to another)."""
    while os.getppid() == parent:
        time.sleep(interval_s)
    os._exit(1)


def die_with(pid: int, interval_s: float = 1.0) -> None:
    """End this process within ``interval_s`` of process ``pid`` ending (any process, not only the parent)."""
    threading.Thread(target=_watch_process, args=(pid, interval_s), name="harken-process-watch", daemon=True).start()


def _watch_process(pid: int, interval_s: float) -> None:
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # alive, owned by someone else (cannot be harken, but keep working)
            pass
        time.sleep(interval_s)
