"""Random search: query uniformly random architectures with new keys, ``batch_size`` per evaluator call."""
from __future__ import annotations

from dataclasses import dataclass

from speechnas.nas.strategy import Strategy, origins
from speechnas.nas.view import SearchView


@dataclass
class RandomSearchConfig:
    batch_size: int = 25  # architectures per evaluator call


class RandomSearch(Strategy):
    name = "random"

    def __init__(self, space, config: RandomSearchConfig, seed: int):
        super().__init__(space, config, seed)
        if config.batch_size < 1:
            raise ValueError(f"random.batch_size must be at least 1, got {config.batch_size}")

    def step(self, view: SearchView) -> bool:
        archs = self.sample_new(view, self.config.batch_size)  # the budget cuts the last batch
        if not archs:
            return False
        view.query(archs, origins("random", len(archs)))
        self.iteration += 1
        return True
