"""Stage 0 download: resumes a partial file with a Range request, checks SHA-256, explains a missing network."""
from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from speechnas.nas.nasbench101.download import DownloadError, fetch

DATA = bytes(range(256)) * 400


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    ranges: list = []

    def do_GET(self):  # noqa: N802
        rng = self.headers.get("Range")
        _RangeHandler.ranges.append(rng)
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        body = DATA[start:]
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(DATA) - 1}/{len(DATA)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/nasbench_only108.tfrecord"
    httpd.shutdown()
    thread.join()


def test_resumes_and_checks_sha256(server, tmp_path):
    dest = tmp_path / "nasbench_only108.tfrecord"
    (tmp_path / "nasbench_only108.tfrecord.part").write_bytes(DATA[:30000])
    _RangeHandler.ranges.clear()
    assert fetch(server, dest, hashlib.sha256(DATA).hexdigest()).read_bytes() == DATA
    assert _RangeHandler.ranges == ["bytes=30000-"] and not (tmp_path / "nasbench_only108.tfrecord.part").exists()
    assert fetch(server, dest, hashlib.sha256(DATA).hexdigest()) == dest  # already there: no request
    assert len(_RangeHandler.ranges) == 1


def test_wrong_checksum_removes_the_download(server, tmp_path):
    dest = tmp_path / "f.tfrecord"
    with pytest.raises(DownloadError, match="does not match the published"):
        fetch(server, dest, "0" * 64)
    assert not dest.exists() and not (tmp_path / "f.tfrecord.part").exists()


def test_no_network_says_where_to_put_the_file(tmp_path):
    dest = tmp_path / "nasbench_only108.tfrecord"
    with pytest.raises(DownloadError, match=f"put it at {dest}"):
        fetch("http://127.0.0.1:9/nasbench_only108.tfrecord", dest, "ab" * 32, timeout=5)
