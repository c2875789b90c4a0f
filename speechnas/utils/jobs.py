"""Run independent recipe jobs (searches of several methods, trainings of several models) in parallel processes.

Each job is ``fn(*args)`` in a fresh ``spawn`` process with one torch thread, so ``nj`` jobs use ``nj`` cores
without oversubscribing them; with ``nj <= 1`` (or one job, or under torchrun) they run here, one after another.
The first failing job's error is raised after the others finish, so no finished work is lost.
"""
from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable, Sequence

log = logging.getLogger(__name__)


class JobError(RuntimeError):
    """A parallel job failed; the message names the job, the cause is chained."""


def _die_with_parent() -> None:
    """On Linux, have the kernel end this worker when the process that started it dies (a killed stage must not
    leave its jobs training on as orphans); elsewhere nothing."""
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


def _init_worker(level: int) -> None:
    import torch

    from speechnas.utils.logging import setup_logging

    _die_with_parent()
    torch.set_num_threads(1)
    setup_logging(level)


def run_jobs(fn: Callable[..., Any], jobs: Sequence[tuple], nj: int = 1, names: Sequence[str] | None = None) -> list:
    """``[fn(*job) for job in jobs]``, ``nj`` at a time; results in job order."""
    names = list(names) if names is not None else [str(j) for j in jobs]
    if nj <= 1 or len(jobs) <= 1:
        return [fn(*job) for job in jobs]
    level = logging.getLogger().level
    results: list = [None] * len(jobs)
    errors: list[tuple[str, BaseException]] = []
    with ProcessPoolExecutor(min(nj, len(jobs)), mp_context=mp.get_context("spawn"), initializer=_init_worker,
                             initargs=(level,)) as pool:
        futures = [pool.submit(fn, *job) for job in jobs]
        for i, fut in enumerate(futures):
            try:
                results[i] = fut.result()
            except BaseException as e:  # noqa: BLE001 - reported after every job has ended
                log.error("job %s failed: %s", names[i], e)
                errors.append((names[i], e))
    if errors:
        name, err = errors[0]
        raise JobError(f"job {name} failed: {err}") from err
    return results
