"""Mutation check: break the SemiNAS search in five ways and report which tests notice each breakage.

For the unbroken code and then each mutation of ``tests/nas/nas_mutations.py`` (random generation, downhill ascent,
worst-first seeds, no pseudo-labelled phase, true values as pseudo-labels) it runs the given test files in a fresh
pytest process (``SPEECHNAS_MUTATION=<name> pytest -p nas_mutations``) and lists the failed tests. Exit status 0 when
the unbroken code passes and every mutation fails at least one test.

    .venv/bin/python benchmarks/nas/mutation_check.py                      # tests/nas/test_search_works.py, test_controller.py
    .venv/bin/python benchmarks/nas/mutation_check.py --mutations random_only --tests tests/nas/test_strategies.py
    .venv/bin/python benchmarks/nas/mutation_check.py --select "not nasbench201"   # skip the slow whole-search tests

On a quiet machine the default run takes about 6 minutes (the tests on the real NAS-Bench-201 table dominate).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "nas"))
from nas_mutations import MUTATIONS  # noqa: E402

DEFAULT_TESTS = ["tests/nas/test_search_works.py", "tests/nas/test_controller.py"]


def run_tests(mutation: str, tests: list[str], select: str = "") -> tuple[int, list[str], float]:
    """(tests run, failed test ids, seconds) of one pytest process with ``mutation`` applied ("" = none);
    ``select``: a pytest ``-k`` expression."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        env = {**os.environ, "SPEECHNAS_MUTATION": mutation,
               "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "nas"), os.environ.get("PYTHONPATH", "")])}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "nas_mutations", "-p", "no:cacheprovider",
                        f"--junitxml={report}", *(["-k", select] if select else []), *tests],
                       cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if not report.exists():
            raise RuntimeError(f"pytest wrote no report for mutation {mutation or 'none'}")
        cases = ET.parse(report).getroot().iter("testcase")
        ran, failed = 0, []
        for case in cases:
            ran += 1
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(f"{Path(case.get('classname', '').replace('.', '/')).name}::{case.get('name')}")
    return ran, failed, seconds


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mutations", default=",".join(MUTATIONS), help=f"comma-separated, from {', '.join(MUTATIONS)}")
    p.add_argument("--tests", nargs="+", default=DEFAULT_TESTS, help="test files or node ids")
    p.add_argument("--select", default="", help="pytest -k expression, e.g. 'not nasbench201'")
    args = p.parse_args()
    names = [m for m in args.mutations.split(",") if m]
    unknown = [m for m in names if m not in MUTATIONS]
    if unknown:
        p.error(f"unknown mutation(s) {unknown}; choose from {list(MUTATIONS)}")
    ok = True
    ran, failed, seconds = run_tests("", args.tests, args.select)
    print(f"{'(none)':<20} {ran} tests, {len(failed)} failed ({seconds:.0f} s){': ' + ', '.join(failed) if failed else ''}",
          flush=True)
    ok &= not failed and ran > 0
    for name in names:
        ran, failed, seconds = run_tests(name, args.tests, args.select)
        verdict = "caught" if failed else "NOT CAUGHT"
        print(f"{name:<20} {verdict}: {len(failed)} of {ran} tests failed ({seconds:.0f} s)", flush=True)
        for test in failed:
            print(f"{'':<22}{test}")
        ok &= bool(failed)
    print("every mutation is caught" if ok else "some mutation survived (or the unbroken code fails)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
