"""Run a Cortex-M33 firmware image in QEMU's model of Arm's MPS2 AN505 board, files and output by semihosting.

In: an ELF linked with ``cortex_m33/toolchain.cmake`` (newlib's rdimon: ``fopen``/``printf`` reach the host,
``argv`` comes from QEMU) and its arguments. Out: the program's exit code (QEMU returns it), stdout and
stderr. QEMU's mps2-an505 is functional only: it says nothing about cycles or time on a real chip.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harken.errors import HarkenError

QEMU = "qemu-system-arm"
MACHINE = "mps2-an505"
#: newlib's rdimon crt0 fetches argv into a 255-byte buffer; a longer command line leaves argc = 0
MAX_COMMAND_LINE = 254


@dataclass(frozen=True)
class QemuRun:
    """One finished emulator run: the firmware's exit code and what it printed."""

    command: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def find_qemu() -> str:
    """The qemu-system-arm executable, or a one-line error saying how to install it."""
    found = shutil.which(QEMU)
    if found is None:
        raise HarkenError(f"{QEMU} not found on PATH: install it (Debian/Ubuntu: apt install qemu-system-arm)")
    return found


def _semihosting_arg(value: str) -> str:
    """A value for QEMU's -semihosting-config list: commas are escaped by doubling them."""
    return value.replace(",", ",,")


def qemu_command(elf: str | Path, args: Sequence[str] = (), *, qemu: str = QEMU) -> list[str]:
    """The QEMU command line that boots ``elf`` on the AN505 with ``args`` as the program's argv[1:].

    argv[0] is the ELF's file name (short: the whole command line must fit ``MAX_COMMAND_LINE``).

    Examples
    --------
    >>> qemu_command("build/app.elf", ["in.wav"])[-4:]
    ['-semihosting-config', 'enable=on,target=native,arg=app.elf,arg=in.wav', '-kernel', 'build/app.elf']
    """
    argv = [Path(elf).name, *map(str, args)]
    config = ",".join(["enable=on", "target=native", *(f"arg={_semihosting_arg(a)}" for a in argv)])
    return [qemu, "-M", MACHINE, "-nographic", "-monitor", "none", "-serial", "none",
            "-semihosting-config", config, "-kernel", str(elf)]  # fmt: skip


def run_qemu(elf: str | Path, args: Sequence[str] = (), *, timeout_s: float = 600.0,
             cwd: str | Path | None = None) -> QemuRun:  # fmt: skip
    """Boot ``elf`` in QEMU with ``args``; relative file names in ``args`` resolve against ``cwd``.

    Raises HarkenError when QEMU is missing, the ELF does not exist, the arguments are longer than the
    firmware's command-line buffer (give file names relative to ``cwd``), or the run takes over ``timeout_s``
    (a firmware that hangs). A non-zero exit code is returned, not raised: the caller decides.
    """
    elf = Path(elf)
    if not elf.is_file():
        raise HarkenError(f"{elf}: no such firmware image; build it first")
    line = " ".join([elf.name, *map(str, args)])
    if len(line) > MAX_COMMAND_LINE:
        raise HarkenError(f"{elf.name}: its command line has {len(line)} characters, newlib's semihosting takes "
                          f"{MAX_COMMAND_LINE}: give file names relative to the working folder")  # fmt: skip
    command = qemu_command(elf.resolve(), args, qemu=find_qemu())
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout_s, cwd=cwd)  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise HarkenError(f"{elf}: QEMU ran past {timeout_s:g} s (the firmware hangs or the input is too long)") \
            from error
    return QemuRun(tuple(command), done.returncode, done.stdout, done.stderr)
