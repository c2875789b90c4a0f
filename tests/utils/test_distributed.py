from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from speechnas.utils.distributed import all_reduce_mean, init_distributed, reduce_metrics


def test_single_process_needs_no_launcher(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    info = init_distributed("cpu")
    assert info.rank == 0 and info.world_size == 1 and info.is_main
    assert all_reduce_mean(torch.tensor(3.0)).item() == 3.0
    assert reduce_metrics({"a": 2.0}) == {"a": 2.0}


def test_two_process_gloo_gradient_equals_full_batch(tmp_path):
    out = tmp_path / "grads.pt"
    worker = Path(__file__).with_name("ddp_grad_worker.py")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone", str(worker), str(out)],
        capture_output=True, text=True, timeout=180, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = torch.load(out, weights_only=False)
    assert res["world"] == 2 and res["mean_rank"] == 0.5

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 3, generator=g)
    y = torch.randn(8, 1, generator=g)
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    assert abs(res["loss"] - loss.item()) < 1e-6
    for got, want in zip(res["grads"], model.parameters()):
        torch.testing.assert_close(got, want.grad, rtol=1e-5, atol=1e-6)
