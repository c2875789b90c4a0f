"""Parallel recipe jobs: results in order, a failure named after the others finish, no orphans when the parent dies."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from speechnas.utils.jobs import JobError, run_jobs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import jobs_worker  # noqa: E402


def test_results_in_job_order_in_parallel():
    assert run_jobs(jobs_worker.square, [(i,) for i in range(5)], nj=2) == [0, 1, 4, 9, 16]


def test_a_failing_job_is_named():
    with pytest.raises(JobError, match="job bad failed"):
        run_jobs(jobs_worker.square, [(1,), ("x",)], nj=2, names=["good", "bad"])


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signal is Linux only")
def test_workers_end_when_the_parent_is_killed(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")]))
    parent = subprocess.Popen([sys.executable, str(HERE / "jobs_worker.py"), str(tmp_path)], env=env)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(tmp_path.glob("*.pid"))) < 2:
        time.sleep(0.1)
    pids = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
    assert len(pids) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    assert not any(_alive(p) for p in pids), "a job outlived its killed parent"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie waiting for its reaper counts as ended
        return f.read().split()[2] != "Z"
