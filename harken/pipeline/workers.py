"""The batch worker processes of ``TrainingBatches``: starting them, their side of the work, waiting on them.

A pool is started in the calling thread with Ctrl-C blocked, so that every worker comes up
ignoring it (the parent handles Ctrl-C and closes the pool). Workers end with their parent, even
when it is killed (SIGKILL leaves no parent to close the pool). Each worker keeps the
``TrainingBatches`` it was started with and makes batch ``(epoch, index)`` on request. A worker
that dies is a one-line ``DatasetError``, not a wait for its batch forever.

What it does not do: decide which batches to ask for or keep them (``harken.pipeline.batches``).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout  # not yet the builtin TimeoutError in Python 3.10
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

import numpy as np

from harken._util.processes import die_with_parent
from harken.errors import DatasetError

if TYPE_CHECKING:
    from harken.pipeline.batches import TrainingBatches

#: In a batch worker process: the TrainingBatches it makes batches for (set by ``_start_worker``).
_WORKER_BATCHES = None


def _start_worker(batches: TrainingBatches, parent: int) -> None:
    """Worker initializer: die with the parent, leave Ctrl-C to it (it closes the pool), then keep ``batches``.

    The parent forks with SIGINT blocked, so a Ctrl-C pressed while workers start waits, pending,
    until it is ignored here instead of killing a worker that holds the pool's task-queue lock.
    """
    global _WORKER_BATCHES
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _WORKER_BATCHES = batches


def worker_batch(epoch: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """In a worker: batch ``index`` of ``epoch``."""
    if _WORKER_BATCHES.epoch != epoch:
        _WORKER_BATCHES.set_epoch(epoch)
    return _WORKER_BATCHES.spectrogram_batch(index, epoch)


def _multiprocessing_context():
    """fork where it is the safe default (Linux): workers share the clips, noise and compiled kernels."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)


def start_pool(batches: TrainingBatches, num_workers: int) -> ProcessPoolExecutor:
    """``num_workers`` processes that make ``batches``' batches, all started now, with Ctrl-C blocked meanwhile."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # workers start with Ctrl-C pending
    try:
        pool = ProcessPoolExecutor(num_workers, mp_context=_multiprocessing_context(),
                                   initializer=_start_worker, initargs=(batches, os.getpid()))
        pool.submit(int).result()  # forked workers all start on the first task: now, with Ctrl-C blocked
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return pool


def wait_for_batch(result: Future, key: tuple[int, int], pool_is_open: Callable[[], bool]):
    """The batch of ``result`` once made; an error if its worker died or the pool was closed meanwhile."""
    while True:
        try:
            return result.result(timeout=0.5)
        except FutureTimeout:
            if pool_is_open():
                continue  # still being made
        except CancelledError:
            pass
        except BrokenProcessPool:
            raise worker_died(key) from None
        raise RuntimeError("the batch worker processes were stopped while a batch was being made")


def worker_died(key: tuple[int, int]) -> DatasetError:
    """The error for a worker that died making batch ``key`` = (epoch, index)."""
    epoch, index = key
    return DatasetError(f"a batch worker process died while making batch {index + 1} of epoch {epoch + 1} "
                        "(killed, or out of memory?); train again with --resume to continue")


def positions_after(key: tuple[int, int], *, count: int, num_batches: int) -> list[tuple[int, int]]:
    """The ``count`` (epoch, batch) positions that follow ``key``, into the next epoch."""
    epoch, index = key
    positions = []
    for _ in range(count):
        epoch, index = (epoch, index + 1) if index + 1 < num_batches else (epoch + 1, 0)
        positions.append((epoch, index))
    return positions
