"""Stage 0 download: the size announced by Content-Range is checked (published sizes are unknown), and a missing
network says where to put the file. Resume and SHA-256 checks are the shared fetcher's (tests/data/test_download.py)."""
from __future__ import annotations

import hashlib
import http.server
import threading

import pytest

from speechnas.nas.nasbench101.download import DownloadError, fetch

DATA = bytes(range(256)) * 400


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    ranges: list = []
    withheld = 0  # bytes the server announces in Content-Range but does not send (a cut connection)

    def do_GET(self):  # noqa: N802
        rng = self.headers.get("Range")
        _RangeHandler.ranges.append(rng)
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        body = DATA[start:len(DATA) - _RangeHandler.withheld]
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


def test_content_range_total_catches_a_short_transfer_then_resumes(server, tmp_path):
    dest = tmp_path / "nasbench_only108.tfrecord"
    part = tmp_path / "nasbench_only108.tfrecord.part"
    sha = hashlib.sha256(DATA).hexdigest()
    part.write_bytes(DATA[:30000])  # an interrupted earlier download: the next request asks for a range
    _RangeHandler.ranges.clear()
    _RangeHandler.withheld = 1000
    with pytest.raises(DownloadError, match=rf"size {len(DATA) - 1000} bytes, expected {len(DATA)}; .*resume"):
        fetch(server, dest, sha)
    assert part.stat().st_size == len(DATA) - 1000 and not dest.exists()  # kept for the next run
    _RangeHandler.withheld = 0
    assert fetch(server, dest, sha).read_bytes() == DATA and not part.exists()
    assert _RangeHandler.ranges == ["bytes=30000-", f"bytes={len(DATA) - 1000}-"]


def test_no_network_says_where_to_put_the_file(tmp_path):
    dest = tmp_path / "nasbench_only108.tfrecord"
    with pytest.raises(DownloadError, match=f"put it at {dest}"):
        fetch("http://127.0.0.1:9/nasbench_only108.tfrecord", dest, "ab" * 32, timeout=5)
