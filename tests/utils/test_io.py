from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from speechnas.utils.io import atomic_open, atomic_write_json


def test_exception_mid_write_keeps_previous(tmp_path):
    path = tmp_path / "result.json"
    atomic_write_json(path, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_open(path) as f:
            f.write('{"v": 2, "half')
            raise RuntimeError("interrupted")
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_killed_writer_keeps_previous(tmp_path):
    """A process SIGKILLed in the middle of a write leaves the old file intact."""
    path = tmp_path / "result.json"
    atomic_write_json(path, {"v": 1})
    code = textwrap.dedent(f"""
        import os, sys, time
        from speechnas.utils.io import atomic_open
        with atomic_open({str(path)!r}) as f:
            f.write('{{"v": 2, "half')
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert json.loads(path.read_text()) == {"v": 1}


def test_new_content_replaces(tmp_path):
    path = tmp_path / "sub" / "r.json"
    atomic_write_json(path, [1])
    atomic_write_json(path, [2])
    assert json.loads(path.read_text()) == [2]
