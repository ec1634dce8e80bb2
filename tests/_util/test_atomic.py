"""Atomic writes never replace what is not a regular file, write through symlinks, and keep modes.

Unsafe targets are real: a device node made with mknod (root only), a FIFO, a unix socket, symlinks.
A full disk is real too: RLIMIT_FSIZE makes the write fail half-way.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading

import pytest

from harken._util.atomic import (
    atomic_path,
    check_output_path,
    copy_file_atomic,
    write_bytes_atomic,
    write_text_atomic,
)
from harken.errors import HarkenError
from tests._util.fsize import file_size_limit


def _mknod(path, kind: int, major: int, minor: int) -> None:
    try:
        os.mknod(path, 0o666 | kind, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")


def _leftovers(folder, name: str) -> list[str]:
    return [p for p in os.listdir(folder) if p.startswith(f".{name}.")]


@pytest.fixture
def umask():
    """Set the umask for one test, and restore it."""
    old = os.umask(0o022)
    os.umask(old)
    yield lambda value: os.umask(value)
    os.umask(old)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)], ids=["022", "077", "002"])
def test_a_new_file_gets_0666_less_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    write_text_atomic(tmp_path / "new.json", "{}")
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == expected


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o755], ids=["644", "640", "755"])
def test_a_replaced_file_keeps_its_mode(tmp_path, umask, mode):
    umask(0o077)
    target = tmp_path / "model.tflite"
    target.write_bytes(b"old")
    target.chmod(mode)
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == mode


def test_root_replacing_a_users_file_keeps_the_user_as_owner(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    target = tmp_path / "model.tflite"
    target.write_bytes(b"old")
    os.chown(target, 4321, 4321)
    write_bytes_atomic(target, b"new")
    assert (target.stat().st_uid, target.stat().st_gid) == (4321, 4321) and target.read_bytes() == b"new"


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    (tmp_path / "models").mkdir()
    real = tmp_path / "models" / "m.tflite"
    real.write_bytes(b"old")
    link = tmp_path / "current.tflite"
    link.symlink_to("models/m.tflite")  # relative, as users make them
    chain = tmp_path / "latest.tflite"
    chain.symlink_to(link)
    write_bytes_atomic(chain, b"new")
    assert chain.is_symlink() and link.is_symlink() and os.readlink(link) == "models/m.tflite"
    assert real.read_bytes() == b"new" and not _leftovers(tmp_path, "latest.tflite")


def test_a_dangling_symlink_gets_its_target_created(tmp_path):
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "real.json")
    write_text_atomic(link, "{}")
    assert link.is_symlink() and (tmp_path / "real.json").read_text() == "{}"


def test_a_symlink_loop_is_refused_in_one_line(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(HarkenError, match=r"a: a symlink loop") as info:
        write_text_atomic(tmp_path / "a", "x")
    assert "\n" not in str(info.value)
    assert os.readlink(tmp_path / "a") == "b" and sorted(os.listdir(tmp_path)) == ["a", "b"]


def test_a_fifo_gets_the_bytes_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    write_bytes_atomic(fifo, b"x" * 300_000)  # more than a pipe buffer: the copy must stream
    reader.join(timeout=30)
    assert received == [b"x" * 300_000]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(tmp_path) == ["pipe"]


def test_a_character_device_is_written_into_never_replaced(tmp_path):
    null = tmp_path / "null"
    _mknod(null, stat.S_IFCHR, 1, 3)  # what /dev/null is
    with atomic_path(null, suffix=".npz") as tmp:
        tmp.write_bytes(b"features")
    st = os.lstat(null)
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(1, 3)
    assert os.listdir(tmp_path) == ["null"] and not _leftovers(tempfile.gettempdir(), "null")


def test_a_full_device_fails_with_enospc_and_is_not_replaced(tmp_path):
    full = tmp_path / "full"
    _mknod(full, stat.S_IFCHR, 1, 7)  # what /dev/full is: every write fails with ENOSPC
    with pytest.raises(OSError) as info:
        write_bytes_atomic(full, b"model")
    assert info.value.errno == errno.ENOSPC
    assert stat.S_ISCHR(os.lstat(full).st_mode) and not _leftovers(tempfile.gettempdir(), "full")


def test_a_block_device_is_refused_before_anything_is_written(tmp_path):
    disk = tmp_path / "disk"
    _mknod(disk, stat.S_IFBLK, 0, 0)
    with pytest.raises(HarkenError, match=r"disk: is a block device \(a disk\), not a regular file"):
        write_bytes_atomic(disk, b"model")
    assert stat.S_ISBLK(os.lstat(disk).st_mode) and os.listdir(tmp_path) == ["disk"]


def test_a_socket_and_a_folder_are_refused(tmp_path):
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "s"))
        with pytest.raises(HarkenError, match="s: is a socket"):
            write_text_atomic(tmp_path / "s", "x")
        assert stat.S_ISSOCK(os.lstat(tmp_path / "s").st_mode)
    finally:
        sock.close()
    (tmp_path / "d").mkdir()
    with pytest.raises(HarkenError, match="d: is a folder"):
        check_output_path(tmp_path / "d")
    assert sorted(os.listdir(tmp_path)) == ["d", "s"]


def test_a_link_to_a_pipe_on_stdout_streams_into_it(tmp_path):
    (tmp_path / "out").symlink_to("/proc/self/fd/1")
    code = f"from harken._util.atomic import write_bytes_atomic; write_bytes_atomic({str(tmp_path / 'out')!r}, b'hi')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, env={**os.environ,
                          "PYTHONPATH": os.pathsep.join(sys.path)})  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b"hi" and (tmp_path / "out").is_symlink() and os.listdir(tmp_path) == ["out"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "results.json"
    target.write_text("old")
    with pytest.raises(OSError):
        with file_size_limit(4096):  # the disk "fills" half-way through the write
            write_bytes_atomic(target, b"n" * 100_000)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["results.json"]
    with pytest.raises(OSError, match="No space"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["results.json"]


def test_copy_file_atomic_is_whole_or_absent_and_keeps_mode_and_times(tmp_path):
    src = tmp_path / "m.tflite"
    src.write_bytes(os.urandom(50_000))
    src.chmod(0o640)
    os.utime(src, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    with pytest.raises(OSError):
        with file_size_limit(4096):
            copy_file_atomic(src, tmp_path / "m.tflite.bak")
    assert os.listdir(tmp_path) == ["m.tflite"]
    copy_file_atomic(src, tmp_path / "m.tflite.bak")
    bak = (tmp_path / "m.tflite.bak").stat()
    assert (tmp_path / "m.tflite.bak").read_bytes() == src.read_bytes()
    assert stat.S_IMODE(bak.st_mode) == 0o640 and bak.st_mtime_ns == src.stat().st_mtime_ns
