"""Run under torchrun (gloo): the one-shot task trains paths with DDP and scores split across ranks."""
import sys
from pathlib import Path

import torch

from speechnas.image.recipe import build_task
from speechnas.image.recipe_config import load_recipe_config
from speechnas.image.space import parse_arch
from speechnas.utils.distributed import cleanup, get_info, init_distributed


def main(conf: str, data_dir: str, trainer_dir: str, start: str, out: str, *archs: str) -> None:
    init_distributed("cpu")
    torch.set_num_threads(1)
    info = get_info()
    pool = [parse_arch(a) for a in archs]
    task = build_task(load_recipe_config(conf), data_dir, trainer_dir, pool)
    task.start_from(start)
    task.train_paths(pool, 3)
    scores = task.score(pool)
    flat = torch.cat([p.detach().flatten() for p in task.trainer.model.parameters()])
    gathered = [torch.zeros_like(flat) for _ in range(info.world_size)]
    torch.distributed.all_gather(gathered, flat)
    every = [None] * info.world_size
    torch.distributed.all_gather_object(every, scores)
    if info.is_main:
        torch.save({"scores": scores, "every_rank": every, "params_equal": all(torch.equal(g, flat) for g in gathered),
                    "state": task.state_dict(), "world": info.world_size}, out)
    cleanup()


if __name__ == "__main__":
    main(*sys.argv[1:])
