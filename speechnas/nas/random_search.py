"""Random search: query uniformly random architectures with new keys, ``batch_size`` per evaluator call."""
from __future__ import annotations

from dataclasses import dataclass

from speechnas.nas.budget import Budget
from speechnas.nas.strategy import Strategy


@dataclass
class RandomSearchConfig:
    batch_size: int = 25  # architectures per evaluator call


class RandomSearch(Strategy):
    name = "random"

    def step(self, budget: Budget) -> bool:
        archs = self.sample_new(budget, min(self.config.batch_size, budget.remaining))
        if not archs:
            return False
        budget.query(archs)
        self.iteration += 1
        return True
