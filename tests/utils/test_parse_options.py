from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _script(tmp_path: Path) -> Path:
    s = tmp_path / "run.sh"
    s.write_text(f"""#!/usr/bin/env bash
set -euo pipefail
stage=0          # first stage to run
stop_stage=100   # last stage to run
ngpu=1           # number of GPUs (0 = CPU)
nj=4             # parallel jobs
conf=conf/x.yaml # training config
mini=false       # use the built-in corpus
. {REPO}/tools/parse_options.sh
echo "stage=$stage stop_stage=$stop_stage ngpu=$ngpu nj=$nj conf=$conf mini=$mini rest=$*"
""")
    return s


def _run(script: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=30)


def test_sets_stage_variables(tmp_path):
    r = _run(_script(tmp_path), "--stage", "3", "--stop-stage", "5", "--ngpu", "2", "--nj=8",
             "--conf", "conf/y.yaml", "--mini", "true", "extra")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "stage=3 stop_stage=5 ngpu=2 nj=8 conf=conf/y.yaml mini=true rest=extra"


def test_defaults_kept(tmp_path):
    r = _run(_script(tmp_path))
    assert r.stdout.strip() == "stage=0 stop_stage=100 ngpu=1 nj=4 conf=conf/x.yaml mini=false rest="


def test_unknown_option_fails_with_name(tmp_path):
    r = _run(_script(tmp_path), "--stgae", "3")
    assert r.returncode != 0
    assert "--stgae" in r.stderr and "stage=" not in r.stdout


def test_boolean_option_rejects_other_values(tmp_path):
    r = _run(_script(tmp_path), "--mini", "yes")
    assert r.returncode != 0 and "--mini" in r.stderr


def test_help_lists_variables_and_defaults(tmp_path):
    r = _run(_script(tmp_path), "--help")
    assert r.returncode == 0
    for opt, default in [("--stage", "[0]"), ("--stop-stage", "[100]"), ("--ngpu", "[1]"), ("--nj", "[4]"),
                         ("--conf", "[conf/x.yaml]"), ("--mini", "[false]")]:
        line = next(l for l in r.stdout.splitlines() if l.strip().startswith(opt + " "))
        assert line.rstrip().endswith(default), line
    assert "number of GPUs" in r.stdout
