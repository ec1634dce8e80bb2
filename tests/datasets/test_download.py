"""Downloads: resume with Range, hash checks with one retry, atomic and safe extraction that deletes
nothing harken did not make, a cache keyed on the URL and hash.

Every test talks to a local http.server on 127.0.0.1 in a thread; nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import io
import random
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import os
import stat

from harken.datasets import download as dl
from harken.datasets.download import download_file, parse_hash
from harken.datasets.extract import EXTRACTING_MARKER, extract_archive, is_extracted
from harken.datasets.sources import Source, cached_dataset, download_dataset, get_source
from harken.errors import DatasetError
from tests._util.fsize import file_size_limit

FAST = dict(quiet=True, timeout_s=5.0, retry_wait_s=0.0)


def make_tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


PAYLOAD = bytes(range(256)) * 800  # 200 kB, several read blocks
ARCHIVE = make_tar_gz({"on/a_nohash_0.wav": PAYLOAD, "off/b_nohash_0.wav": PAYLOAD[::-1], "README.md": b"hi"})


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Server:
    """Serves ``files``; ``cut_next`` responses stop half-way; ``ranges`` toggles Range support."""

    def __init__(self) -> None:
        self.files: dict[str, bytes | list[bytes]] = {}
        self.ranges = True
        self.cut_next = 0
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Range")))
                body = server.files.get(self.path)
                if isinstance(body, list):  # a sequence of bodies, one per request
                    body = body.pop(0) if len(body) > 1 else body[0]
                if body is None:
                    self.send_error(404)
                    return
                start, status = 0, 200
                asked = self.headers.get("Range")
                if asked and server.ranges:
                    start = int(asked.split("=")[1].rstrip("-"))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    status = 206
                chunk = body[start:]
                self.send_response(status)
                self.send_header("Content-Length", str(len(chunk)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                if server.cut_next > 0:
                    server.cut_next -= 1
                    self.wfile.write(chunk[: len(chunk) // 2])
                    self.wfile.flush()
                    return  # HTTP/1.0: the connection closes with the body half sent
                self.wfile.write(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server():
    srv = Server()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


@pytest.fixture(autouse=True)
def harken_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HARKEN_HOME", str(tmp_path / "home"))


def test_download_resumes_with_range_after_a_cut_transfer(server, tmp_path):
    server.files["/data.tar.gz"] = ARCHIVE
    server.cut_next = 1
    dest = download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", expected_hash=sha256(ARCHIVE), **FAST)
    assert dest.read_bytes() == ARCHIVE
    assert server.requests == [("/data.tar.gz", None), ("/data.tar.gz", f"bytes={len(ARCHIVE) // 2}-")]
    assert not (tmp_path / "a.tar.gz.part").exists()


def test_download_keeps_part_file_and_next_call_resumes(server, tmp_path):
    server.files["/data.tar.gz"] = ARCHIVE
    server.cut_next = 1
    with pytest.raises(DatasetError, match="partial file .*a.tar.gz.part is kept"):
        download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", max_attempts=1, **FAST)
    assert (tmp_path / "a.tar.gz.part").stat().st_size == len(ARCHIVE) // 2
    download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", expected_hash=sha256(ARCHIVE), **FAST)
    assert (tmp_path / "a.tar.gz").read_bytes() == ARCHIVE
    assert server.requests[-1][1] == f"bytes={len(ARCHIVE) // 2}-"


def test_download_starts_over_when_server_ignores_range(server, tmp_path):
    server.files["/data.tar.gz"] = ARCHIVE
    server.ranges = False
    (tmp_path / "a.tar.gz.part").write_bytes(b"stale bytes from an older attempt")
    download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", expected_hash=sha256(ARCHIVE), **FAST)
    assert (tmp_path / "a.tar.gz").read_bytes() == ARCHIVE
    assert server.requests == [("/data.tar.gz", "bytes=33-")]


def test_download_of_a_complete_part_file_accepts_416(server, tmp_path):
    server.files["/data.tar.gz"] = ARCHIVE
    (tmp_path / "a.tar.gz.part").write_bytes(ARCHIVE)
    download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", expected_hash=sha256(ARCHIVE), **FAST)
    assert (tmp_path / "a.tar.gz").read_bytes() == ARCHIVE


def test_download_wrong_hash_retries_once_then_raises_and_keeps_nothing(server, tmp_path):
    server.files["/data.tar.gz"] = ARCHIVE
    wrong = sha256(b"something else")
    with pytest.raises(DatasetError, match=r"expected [0-9a-f]{64}, twice; nothing was kept"):
        download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", expected_hash=wrong, **FAST)
    assert [r[1] for r in server.requests] == [None, None]
    assert not any(p.name.startswith("a.tar") for p in tmp_path.iterdir())


def test_download_wrong_hash_once_then_right_succeeds(server, tmp_path):
    server.files["/data.tar.gz"] = [b"corrupted by a proxy", ARCHIVE]
    download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", expected_hash=sha256(ARCHIVE), **FAST)
    assert (tmp_path / "a.tar.gz").read_bytes() == ARCHIVE and len(server.requests) == 2


def test_download_without_hash_records_sha256_and_checks_later_downloads(server, tmp_path):
    server.files["/data.tar.gz"] = ARCHIVE
    dest = download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", **FAST)
    record = tmp_path / "a.tar.gz.sha256"
    assert record.read_text().split()[0] == hashlib.sha256(ARCHIVE).hexdigest()
    dest.unlink()
    server.files["/data.tar.gz"] = b"the upstream file changed"
    with pytest.raises(DatasetError, match="delete .*a.tar.gz.sha256"):
        download_file(server.url("/data.tar.gz"), dest, **FAST)


def test_download_cached_archive_makes_no_request(server, tmp_path):
    (tmp_path / "a.tar.gz").write_bytes(ARCHIVE)
    download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", expected_hash=sha256(ARCHIVE), **FAST)
    assert server.requests == []


def test_download_http_404_is_a_clear_error(server, tmp_path):
    with pytest.raises(DatasetError, match="HTTP 404.*check the URL"):
        download_file(server.url("/missing.zip"), tmp_path / "m.zip", **FAST)
    assert len(server.requests) == 1


def test_download_gives_up_after_max_attempts_when_nothing_listens(tmp_path):
    with pytest.raises(DatasetError, match="after 2 attempts"):
        download_file("http://127.0.0.1:9/x.zip", tmp_path / "x.zip", max_attempts=2, **FAST)


def test_parse_hash_reads_prefixed_and_bare_digests():
    assert parse_hash("4264eb9753e38eef2ec1d15dfac8441f09751ca9")[0] == "sha1"
    assert parse_hash("SHA256:" + "A" * 64) == ("sha256", "a" * 64)
    with pytest.raises(DatasetError, match="sha256:HEX"):
        parse_hash("crc32:1234")
    with pytest.raises(DatasetError, match="64 hex digits"):
        parse_hash("sha256:abcd")


def test_extract_writes_marker_last_and_is_idempotent(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(ARCHIVE)
    target = extract_archive(archive, tmp_path / "out", quiet=True)
    assert is_extracted(target) and (target / "on" / "a_nohash_0.wav").read_bytes() == PAYLOAD
    (target / "README.md").unlink()
    extract_archive(archive, target)  # complete already: untouched
    assert not (target / "README.md").exists()


def test_extract_crash_mid_way_leaves_target_unmarked_and_no_temp(tmp_path, monkeypatch):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(ARCHIVE)
    real_extract = tarfile.TarFile.extract
    calls = []

    def crash_on_second(self, member, *args, **kwargs):
        calls.append(member)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash")
        return real_extract(self, member, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extract", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        extract_archive(archive, tmp_path / "out", quiet=True)
    assert not (tmp_path / "out").exists() and not is_extracted(tmp_path / "out")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    monkeypatch.setattr(tarfile.TarFile, "extract", real_extract)
    assert is_extracted(extract_archive(archive, tmp_path / "out", quiet=True))


def test_extract_refuses_a_folder_harken_did_not_make_and_keeps_its_files(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"x/one.wav": b"1", "x/two.wav": b"2"}))
    mine = tmp_path / "out"
    (mine / "x").mkdir(parents=True)
    (mine / "x" / "one.wav").write_bytes(b"a user's own clip")
    (mine / "thesis.pdf").write_bytes(b"three years of work")
    with pytest.raises(DatasetError, match=r"out: the folder holds 2 item\(s\) harken did not put there .*new or empty"):
        extract_archive(archive, mine, quiet=True)
    assert (mine / "thesis.pdf").read_bytes() == b"three years of work"
    assert (mine / "x" / "one.wav").read_bytes() == b"a user's own clip" and not is_extracted(mine)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.zip", "out"]


def test_extract_fills_an_empty_folder_and_a_symlink_to_one(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"x/one.wav": b"1"}))
    (tmp_path / "empty").mkdir()
    assert is_extracted(extract_archive(archive, tmp_path / "empty", quiet=True))
    (tmp_path / "disk").mkdir()
    (tmp_path / "link").symlink_to("disk")
    assert extract_archive(archive, tmp_path / "link", quiet=True) == tmp_path / "link"
    assert (tmp_path / "link").is_symlink() and (tmp_path / "disk" / "x" / "one.wav").read_bytes() == b"1"
    (tmp_path / "dangling").symlink_to("elsewhere")
    extract_archive(archive, tmp_path / "dangling", quiet=True)
    assert (tmp_path / "dangling").is_symlink() and (tmp_path / "elsewhere" / "x" / "one.wav").is_file()


def test_extract_refuses_the_extraction_of_another_archive_and_a_file(tmp_path):
    (tmp_path / "a.zip").write_bytes(make_zip({"one.wav": b"1"}))
    (tmp_path / "b.zip").write_bytes(make_zip({"two.wav": b"2"}))
    extract_archive(tmp_path / "a.zip", tmp_path / "out", quiet=True)
    with pytest.raises(DatasetError, match=r"out: holds the dataset extracted from a\.zip, not from b\.zip"):
        extract_archive(tmp_path / "b.zip", tmp_path / "out", quiet=True)
    assert sorted(os.listdir(tmp_path / "out")) == [".harken-complete", "one.wav"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="file: is a file, not a folder"):
        extract_archive(tmp_path / "a.zip", tmp_path / "file", quiet=True)


def test_extract_removes_only_marked_leftovers_of_dead_processes(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_zip({"x/one.wav": b"1"}))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    leftover = tmp_path / f".out.extract-{dead.pid}-abc"
    leftover.mkdir()
    (leftover / EXTRACTING_MARKER).write_text(f"{dead.pid}\n")
    unmarked = tmp_path / f".out.extract-{dead.pid}-user"
    unmarked.mkdir()
    (unmarked / "notes.txt").write_text("not harken's")
    extract_archive(archive, tmp_path / "out", quiet=True)
    assert is_extracted(tmp_path / "out") and not leftover.exists()
    assert (unmarked / "notes.txt").read_text() == "not harken's"
    assert not (tmp_path / "out" / EXTRACTING_MARKER).exists()


def test_extracted_folders_follow_the_umask_not_0700(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(ARCHIVE)
    old = os.umask(0o022)
    try:
        target = extract_archive(archive, tmp_path / "out", quiet=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


@pytest.mark.parametrize("bad_name", ["../evil.txt", "/etc/evil.txt", "ok/../../evil.txt"])
def test_extract_refuses_path_traversal_in_tar_and_zip(tmp_path, bad_name):
    for suffix, data in ((".tar.gz", make_tar_gz({bad_name: b"x"})), (".zip", make_zip({bad_name: b"x"}))):
        archive = tmp_path / f"bad{suffix}"
        archive.write_bytes(data)
        with pytest.raises(DatasetError, match="outside the target folder"):
            extract_archive(archive, tmp_path / "out", quiet=True)
        assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()


def test_extract_refuses_links_in_tar(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        link = tarfile.TarInfo("innocent")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    (tmp_path / "l.tar").write_bytes(buffer.getvalue())
    with pytest.raises(DatasetError, match="link or device"):
        extract_archive(tmp_path / "l.tar", tmp_path / "out")


def test_extract_rejects_a_file_that_is_not_an_archive(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not an archive")
    with pytest.raises(DatasetError, match="not a tar or zip archive"):
        extract_archive(tmp_path / "x.zip", tmp_path / "out")


def test_download_dataset_fetches_extracts_and_then_uses_the_cache(server, tmp_path):
    server.files["/esc.zip"] = make_zip({"ESC-master/audio/1.wav": b"a", "ESC-master/meta.csv": b"m"})
    source = Source(name="tiny", url=server.url("/esc.zip"), hash=sha256(server.files["/esc.zip"]))
    assert cached_dataset(source) is None
    root = download_dataset(source, **FAST)
    assert root == tmp_path / "home" / "datasets" / "tiny" / "ESC-master"
    assert (root / "audio" / "1.wav").read_bytes() == b"a"
    assert [p.name for p in (tmp_path / "home" / "downloads").glob("tiny--*--esc.zip")] == [source.archive_name]
    assert download_dataset(source, **FAST) == root and len(server.requests) == 1
    assert cached_dataset(source) == root


def test_download_dataset_honours_dest(server, tmp_path):
    server.files["/words.tar.gz"] = ARCHIVE
    root = download_dataset(server.url("/words.tar.gz"), dest=tmp_path / "mine", **FAST)
    assert root == tmp_path / "mine" and (root / "off" / "b_nohash_0.wav").is_file()


def test_get_source_suggests_the_closest_known_name():
    with pytest.raises(DatasetError, match="did you mean 'speech_commands_v2'"):
        get_source("speech_command_v2")
    assert get_source("speech_commands_v2").hash == "sha1:4264eb9753e38eef2ec1d15dfac8441f09751ca9"


def test_progress_bar_is_off_when_quiet():
    assert dl.progress_bar(True).disable is True


def test_progress_bar_goes_to_stderr_not_stdout(server, tmp_path, capsys):
    server.files["/data.tar.gz"] = ARCHIVE
    download_file(server.url("/data.tar.gz"), tmp_path / "a.tar.gz", quiet=False, timeout_s=5.0, retry_wait_s=0.0)
    assert capsys.readouterr().out == ""


def test_download_into_a_users_folder_is_refused_before_any_request_and_deletes_nothing(server, tmp_path):
    server.files["/words.tar.gz"] = ARCHIVE
    dest = tmp_path / "Documents"
    dest.mkdir()
    (dest / "thesis.tex").write_text("years of work")
    with pytest.raises(DatasetError, match=r"Documents: the folder holds 1 item\(s\) harken did not put there"):
        download_dataset(server.url("/words.tar.gz"), dest=dest, **FAST)
    assert os.listdir(dest) == ["thesis.tex"] and (dest / "thesis.tex").read_text() == "years of work"
    assert server.requests == []


def test_download_into_an_empty_folder_then_again_uses_it(server, tmp_path):
    server.files["/words.tar.gz"] = ARCHIVE
    (tmp_path / "mine").mkdir()
    assert download_dataset(server.url("/words.tar.gz"), dest=tmp_path / "mine", **FAST) == tmp_path / "mine"
    assert download_dataset(server.url("/words.tar.gz"), dest=tmp_path / "mine", **FAST) == tmp_path / "mine"
    assert len(server.requests) == 1 and (tmp_path / "mine" / "on" / "a_nohash_0.wav").read_bytes() == PAYLOAD


def test_another_url_with_the_same_file_name_gets_its_own_dataset(server, tmp_path):
    other = make_tar_gz({"yes/c_nohash_0.wav": b"other dataset"})
    server.files["/a/words.tar.gz"] = ARCHIVE
    server.files["/b/words.tar.gz"] = other
    first = download_dataset(server.url("/a/words.tar.gz"), **FAST)
    second = download_dataset(get_source(server.url("/b/words.tar.gz"), hash=sha256(other)), **FAST)
    assert first != second and (second / "yes" / "c_nohash_0.wav").read_bytes() == b"other dataset"
    assert not (second / "on").exists() and (first / "on" / "a_nohash_0.wav").read_bytes() == PAYLOAD
    assert [r[0] for r in server.requests] == ["/a/words.tar.gz", "/b/words.tar.gz"]


def test_the_same_url_with_another_hash_is_another_archive_and_never_the_old_folder(server, tmp_path):
    server.files["/words.tar.gz"] = ARCHIVE
    dest = tmp_path / "words"
    download_dataset(server.url("/words.tar.gz"), dest=dest, **FAST)
    newer = make_tar_gz({"on/new_nohash_0.wav": b"v2"})
    server.files["/words.tar.gz"] = newer
    with pytest.raises(DatasetError, match="words: holds the dataset extracted from .*delete .* to replace it"):
        download_dataset(get_source(server.url("/words.tar.gz"), hash=sha256(newer)), dest=dest, **FAST)
    assert len(server.requests) == 1  # refused before downloading
    root = download_dataset(get_source(server.url("/words.tar.gz"), hash=sha256(newer)), dest=tmp_path / "v2", **FAST)
    assert (root / "on" / "new_nohash_0.wav").read_bytes() == b"v2"


def test_a_corrupt_first_download_is_not_trusted_so_downloading_again_works(server, tmp_path):
    server.files["/words.tar.gz"] = ARCHIVE[: len(ARCHIVE) // 3]  # served whole, but a cut archive
    with pytest.raises(DatasetError, match="corrupt archive .*delete it and download again"):
        download_dataset(server.url("/words.tar.gz"), **FAST)
    downloads = tmp_path / "home" / "downloads"
    assert not list(downloads.glob("*.sha256"))
    for archive in downloads.glob("words-*"):  # what the error says to do
        archive.unlink()
    server.files["/words.tar.gz"] = ARCHIVE
    root = download_dataset(server.url("/words.tar.gz"), **FAST)
    assert (root / "on" / "a_nohash_0.wav").read_bytes() == PAYLOAD
    (record,) = downloads.glob("*.sha256")
    assert record.read_text().split()[0] == hashlib.sha256(ARCHIVE).hexdigest()


NOISE = os.urandom(300_000)  # does not compress: the archive is as big as its member
NOISE_TAR_GZ = make_tar_gz({"on/noise_nohash_0.wav": NOISE})


def test_a_full_disk_while_downloading_keeps_the_part_and_says_so_then_resumes(server, tmp_path):
    server.files["/big.tar.gz"] = NOISE_TAR_GZ
    with pytest.raises(DatasetError, match=r"big.tar.gz.part: cannot write the download \(File too large\); "
                                           r"100000 bytes are kept: free some space"):
        with file_size_limit(100_000):
            download_file(server.url("/big.tar.gz"), tmp_path / "big.tar.gz", **FAST)
    download_file(server.url("/big.tar.gz"), tmp_path / "big.tar.gz", expected_hash=sha256(NOISE_TAR_GZ), **FAST)
    assert server.requests[-1][1] == "bytes=100000-"


def test_a_full_disk_while_extracting_keeps_nothing_and_says_so(tmp_path):
    archive = tmp_path / "big.tar.gz"
    archive.write_bytes(NOISE_TAR_GZ)
    with pytest.raises(DatasetError, match=r"out: extracting big.tar.gz failed \(File too large\); nothing was kept"):
        with file_size_limit(100_000):
            extract_archive(archive, tmp_path / "out", quiet=True)
    assert os.listdir(tmp_path) == ["big.tar.gz"]


@pytest.mark.parametrize("mode", ["gz", "xz"])
def test_an_archive_corrupt_inside_its_stream_is_a_one_line_error(tmp_path, mode):
    rng = random.Random(0)
    text = bytes(rng.choice(b"abcdefghijklmnop") for _ in range(400_000))  # compresses: a real deflate/lzma stream
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{mode}") as tar:
        info = tarfile.TarInfo("on/a_nohash_0.wav")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    data = bytearray(buffer.getvalue())
    data[int(len(data) * 0.6) : int(len(data) * 0.6) + 8] = b"\x00\xff" * 4
    (tmp_path / f"bad.tar.{mode}").write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=rf"bad.tar.{mode}: corrupt archive .*delete it and download again"):
        extract_archive(tmp_path / f"bad.tar.{mode}", tmp_path / "out", quiet=True)
    assert os.listdir(tmp_path) == [f"bad.tar.{mode}"]
