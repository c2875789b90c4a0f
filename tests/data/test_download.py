"""Stage 0 download: resumes a partial file with a Range request, checks size and sha256, extracts atomically."""
from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading

import pytest

from speechnas.data.download import DownloadError, download, obtain_ljspeech


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    payload = b""
    ranges: list = []

    def do_GET(self):  # noqa: N802
        start = 0
        rng = self.headers.get("Range")
        type(self).ranges.append(rng)
        if rng:
            start = int(rng.split("=")[1].rstrip("-"))
        body = self.payload[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:bz2") as tar:
        for name, data in [("LJSpeech-1.1/metadata.csv", b"LJ001-0001|Hi.|Hi.\n"), ("LJSpeech-1.1/README", b"x" * 5000)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    _RangeHandler.payload, _RangeHandler.ranges = buf.getvalue(), []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _RangeHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}/LJSpeech-1.1.tar.bz2", _RangeHandler
    httpd.shutdown()


def test_resume_check_and_extract(tmp_path, server):
    url, handler = server
    data = handler.payload
    (tmp_path / "LJSpeech-1.1.tar.bz2.part").write_bytes(data[:100])  # an interrupted earlier download
    out = obtain_ljspeech(tmp_path, url, len(data), hashlib.sha256(data).hexdigest())
    assert handler.ranges == ["bytes=100-"]
    assert (out / "metadata.csv").read_text() == "LJ001-0001|Hi.|Hi.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LJSpeech-1.1"]  # archive removed, no temp folders


def test_bad_checksum_and_no_network(tmp_path, server):
    url, handler = server
    with pytest.raises(DownloadError, match="sha256 .* does not match"):
        download(url, tmp_path / "a.tar.bz2", len(handler.payload), "0" * 64)
    assert not (tmp_path / "a.tar.bz2").exists() and not (tmp_path / "a.tar.bz2.part").exists()
    with pytest.raises(DownloadError, match=r"cannot download .*--ljspeech-dir\.$"):  # no size, no sha256: none named
        download("http://127.0.0.1:9/none.tar.bz2", tmp_path / "b.tar.bz2", timeout=5)
    with pytest.raises(DownloadError, match=r"--ljspeech-dir \(size 7 bytes, sha256 ab\)\."):
        download("http://127.0.0.1:9/none.tar.bz2", tmp_path / "b.tar.bz2", 7, "ab", timeout=5)


def test_progress_bar_follows_speechnas_progress(tmp_path, server, monkeypatch, capsys):
    url, handler = server
    monkeypatch.setenv("SPEECHNAS_PROGRESS", "1")  # on although stderr is not a terminal
    download(url, tmp_path / "on.tar.bz2", len(handler.payload))
    assert "on.tar.bz2" in capsys.readouterr().err
    monkeypatch.setenv("SPEECHNAS_PROGRESS", "0")
    download(url, tmp_path / "off.tar.bz2", len(handler.payload))
    assert "off.tar.bz2" not in capsys.readouterr().err
