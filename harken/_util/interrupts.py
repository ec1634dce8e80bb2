"""Ctrl-C at safe points: hold it while a group of writes finishes, and notice one a library swallowed.

Python raises ``KeyboardInterrupt`` at whatever line runs when Ctrl-C (SIGINT) arrives: inside a
checkpoint being saved (then what a message reports and what is on disk differ), or inside a
callback that C++ code (the TFLite converter) calls, which may catch and drop it. Both helpers
change the SIGINT handler for their block, so they act only in the main thread (signal handlers
live there) and only where Ctrl-C is not ignored; elsewhere they do nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _handles_ctrl_c() -> Callable | None:
    """The current Python SIGINT handler when this thread may replace it and Ctrl-C is not ignored."""
    if threading.current_thread() is not threading.main_thread():
        return None
    handler = signal.getsignal(signal.SIGINT)
    return handler if callable(handler) or handler == signal.SIG_DFL else None


def _raise_as(previous) -> None:
    """Deliver a held Ctrl-C the way ``previous`` (the handler in place before) would have."""
    if callable(previous):
        previous(signal.SIGINT, None)
    else:  # SIG_DFL: Python's own handler is not installed, so Ctrl-C ends the process
        signal.raise_signal(signal.SIGINT)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, then raise it: for writes that must all happen or none start."""
    previous = _handles_ctrl_c()
    if previous is None:
        yield
        return
    held: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        _raise_as(previous)


@contextmanager
def interrupts_watched() -> Iterator[Callable[[], None]]:
    """Ctrl-C raises as usual in the block, and is noted: the yielded ``check()`` raises it again.

    Call ``check()`` after each step that runs library code which might catch the
    ``KeyboardInterrupt`` and carry on, so that a Ctrl-C always stops the work. Another exception
    escaping the block after a Ctrl-C (a library's clean-up failing) becomes ``KeyboardInterrupt``.
    """
    previous = _handles_ctrl_c()
    seen: list[int] = []

    def check() -> None:
        if seen:
            raise KeyboardInterrupt

    if previous is None:
        yield check
        return

    def note(signum, frame) -> None:
        seen.append(signum)
        if callable(previous):
            previous(signum, frame)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield check
    except Exception:
        if seen:  # library code broken off by the KeyboardInterrupt failed in its clean-up: still a Ctrl-C
            raise KeyboardInterrupt from None
        raise
    finally:
        signal.signal(signal.SIGINT, previous)
