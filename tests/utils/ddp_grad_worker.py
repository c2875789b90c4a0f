"""Run under torchrun: each rank takes its half of a fixed batch; DDP averages the gradients; rank 0 saves them."""
import sys

import torch

from speechnas.utils.distributed import all_reduce_mean, cleanup, init_distributed, reduce_metrics


def main(out_path: str) -> None:
    info = init_distributed("cpu")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1))
    ddp = torch.nn.parallel.DistributedDataParallel(model)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 3, generator=g)
    y = torch.randn(8, 1, generator=g)
    per = x.shape[0] // info.world_size
    sl = slice(info.rank * per, (info.rank + 1) * per)
    loss = torch.nn.functional.mse_loss(ddp(x[sl]), y[sl])
    loss.backward()
    mean_loss = all_reduce_mean(loss.detach()).item()
    metrics = reduce_metrics({"rank": float(info.rank)})
    if info.is_main:
        torch.save({"grads": [p.grad for p in model.parameters()], "loss": mean_loss,
                    "world": info.world_size, "mean_rank": metrics["rank"]}, out_path)
    cleanup()


if __name__ == "__main__":
    main(sys.argv[1])
