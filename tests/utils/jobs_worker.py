"""Run by tests/utils/test_jobs.py: two parallel jobs that record their pid and sleep (to be killed with their parent)."""
import os
import sys
import time
from pathlib import Path


def sleeper(out: str, name: str) -> str:
    Path(out, f"{name}.pid").write_text(str(os.getpid()))
    time.sleep(120)
    return name


def square(x: int) -> int:
    return x * x


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from speechnas.utils.jobs import run_jobs

    import jobs_worker

    run_jobs(jobs_worker.sleeper, [(sys.argv[1], "a"), (sys.argv[1], "b")], nj=2, names=["a", "b"])
