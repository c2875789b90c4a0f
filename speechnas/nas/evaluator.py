"""The evaluator protocol: score a batch of architectures; any function ``archs -> list[Result]`` will do."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence, runtime_checkable

from speechnas.nas.space import Arch


@dataclass(frozen=True)
class Result:
    """Metrics of one evaluated architecture and what evaluating it cost (seconds, simulated or real).

    ``metrics[search_metric]`` is what a strategy sees; other entries (e.g. ``test_acc``) are report-only.
    """

    metrics: dict[str, float]
    cost: float = 0.0
    info: dict = field(default_factory=dict)


@runtime_checkable
class Evaluator(Protocol):
    search_metric: str  # the metric strategies maximise, e.g. "valid_acc" or "dfr"

    def evaluate(self, archs: Sequence[Arch]) -> list[Result]:
        """One :class:`Result` per architecture, in order."""


@dataclass
class FunctionalEvaluator:
    """Wrap a plain function ``archs -> list[Result]`` (or ``arch -> float``) as an evaluator."""

    fn: Callable
    search_metric: str = "score"
    per_arch: bool = False

    def evaluate(self, archs: Sequence[Arch]) -> list[Result]:
        if self.per_arch:
            return [Result({self.search_metric: float(self.fn(a))}) for a in archs]
        return list(self.fn(list(archs)))
