from __future__ import annotations

import json
from dataclasses import dataclass

import torch
import yaml

from speechnas.utils.device import autocast, resolve_device
from speechnas.utils.expdir import prepare_exp_dir
from speechnas.utils.progress import progress


@dataclass
class C:
    lr: float = 0.5


def test_exp_dir_records_config_commit_versions_command(tmp_path):
    d = prepare_exp_dir(tmp_path / "exp", C(lr=0.25), argv=["speechnas-train", "--lr", "0.25"])
    assert yaml.safe_load((d / "config.yaml").read_text()) == {"lr": 0.25}
    meta = json.loads((d / "meta.json").read_text())
    assert meta["command"] == "speechnas-train --lr 0.25"
    assert meta["versions"]["torch"].startswith(torch.__version__.split("+")[0])
    assert "git_commit" in meta
    prepare_exp_dir(tmp_path / "exp", C(), argv=["again"])
    assert len((d / "runs.jsonl").read_text().splitlines()) == 2


def test_cpu_autocast_is_a_no_op():
    dev = resolve_device("cpu")
    with autocast(dev):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32


def test_progress_quiet_without_terminal(monkeypatch):
    monkeypatch.delenv("SPEECHNAS_PROGRESS", raising=False)
    bar = progress(range(3))  # pytest captures stderr: not a terminal
    assert bar.disable and list(bar) == [0, 1, 2]
