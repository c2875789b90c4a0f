"""Exact resume: 20 steps straight equals 10 steps, a fresh process-like restart from the checkpoint, 10 more."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from speechnas.utils.checkpoint import (checkpoint_step, find_latest_checkpoint, list_checkpoints, load_checkpoint,
                                       save_checkpoint)
from speechnas.utils.seed import seed_everything


def _build():
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Dropout(0.3), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.7)
    return model, opt, sched


def _train(model, opt, sched, start: int, stop: int, ckpt_dir=None, save_at=None):
    losses = []
    for step in range(start, stop):
        # data drawn from every RNG, so a resume that forgot any RNG state diverges
        x = torch.randn(8, 4) + float(np.random.rand()) + random.random()
        y = x.sum(1, keepdim=True)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if ckpt_dir is not None and step + 1 == save_at:
            save_checkpoint(ckpt_dir, step=step + 1, model=model, optimizer=opt, scheduler=sched, epoch=0,
                            config={"lr": 1e-2})
    return losses


def test_resume_is_exact(tmp_path):
    seed_everything(0)
    model, opt, sched = _build()
    straight = _train(model, opt, sched, 0, 20)
    final_straight = [p.detach().clone() for p in model.parameters()]

    seed_everything(0)
    model, opt, sched = _build()
    first = _train(model, opt, sched, 0, 10, ckpt_dir=tmp_path, save_at=10)
    # disturb every RNG as a new process would, then rebuild from scratch and resume
    seed_everything(1234)
    model, opt, sched = _build()
    path = find_latest_checkpoint(tmp_path)
    state = load_checkpoint(path, model=model, optimizer=opt, scheduler=sched)
    assert state["step"] == 10 and state["config"] == {"lr": 1e-2}
    second = _train(model, opt, sched, state["step"], 20)

    assert first + second == straight
    for a, b in zip(final_straight, model.parameters()):
        assert torch.equal(a, b)


def test_half_written_checkpoint_is_never_picked(tmp_path):
    model, opt, _ = _build()
    save_checkpoint(tmp_path, step=5, model=model, optimizer=opt)
    good = save_checkpoint(tmp_path, step=10, model=model, optimizer=opt)
    # an interrupted writer leaves a temp file; a corrupt file with a final name is skipped too
    (tmp_path / ".ckpt_00000020.pt.abc.tmp").write_bytes(b"partial")
    (tmp_path / "ckpt_00000030.pt").write_bytes(b"\x00garbage")
    # a checkpoint copied only in part (the end cut off) is not picked either
    (tmp_path / "ckpt_00000040.pt").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert find_latest_checkpoint(tmp_path) == good
    assert load_checkpoint(good, model=_build()[0])["step"] == 10


def test_checkpoint_step_from_the_name(tmp_path):
    model, _, _ = _build()
    assert checkpoint_step(save_checkpoint(tmp_path, step=1234, model=model)) == 1234
    assert checkpoint_step("x/ckpt_00000007.pt") == 7
    with pytest.raises(ValueError, match="model.pt"):
        checkpoint_step("x/model.pt")


def test_keep_last_prunes_old(tmp_path):
    model, _, _ = _build()
    for s in range(1, 6):
        save_checkpoint(tmp_path, step=s, model=model, keep_last=2)
    assert [p.name for p in list_checkpoints(tmp_path)] == ["ckpt_00000004.pt", "ckpt_00000005.pt"]


def test_empty_dir_has_no_checkpoint(tmp_path):
    assert find_latest_checkpoint(tmp_path / "missing") is None
