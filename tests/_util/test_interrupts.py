"""Ctrl-C held over a group of writes, and a Ctrl-C that a library swallowed raised again (real SIGINTs)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from harken._util.interrupts import interrupts_deferred, interrupts_watched


@pytest.fixture
def ctrl_c_raises():
    """Python's own Ctrl-C handler, even when the test run was started with SIGINT ignored (nohup, a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _ctrl_c() -> None:
    """Send SIGINT to this process and give Python the moment to run its handler."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)


def test_a_deferred_ctrl_c_lets_the_block_finish_then_raises(ctrl_c_raises):
    done = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            _ctrl_c()
            done.append("after the signal")
    assert done == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nothing_is_raised_without_a_ctrl_c(ctrl_c_raises):
    with interrupts_deferred():
        pass
    with interrupts_watched() as check:
        check()


def test_a_swallowed_ctrl_c_is_raised_again_by_check(ctrl_c_raises):
    with pytest.raises(KeyboardInterrupt):
        with interrupts_watched() as check:
            try:  # a library that catches the KeyboardInterrupt and carries on
                _ctrl_c()
            except KeyboardInterrupt:
                pass
            check()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_error_in_clean_up_after_a_ctrl_c_is_still_a_ctrl_c(ctrl_c_raises):
    """TensorFlow broken off by Ctrl-C has raised TypeError and RuntimeError from its clean-up."""
    with pytest.raises(KeyboardInterrupt):
        with interrupts_watched():
            try:
                _ctrl_c()
            finally:
                raise TypeError("'NoneType' object is not callable")
    with pytest.raises(TypeError):  # without a Ctrl-C an error stays itself
        with interrupts_watched():
            raise TypeError("a real bug")


def test_where_ctrl_c_is_ignored_it_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
        with interrupts_watched() as check:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
            check()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
