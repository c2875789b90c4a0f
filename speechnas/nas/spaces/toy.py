"""A small arithmetic space for tests and examples: a tuple of integers, one per position.

Each position has its own list of allowed values (tokens are the values themselves, so constrained decoding
is observable: tokens outside a position's list are in the vocabulary but never legal there). With
``commutative=True`` the key is the sorted tuple, so permutations share a key, like a network whose
layers are summed. Pair it with :func:`sum_evaluator` (score = sum of the values, a known optimum).
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np

from speechnas.nas.evaluator import FunctionalEvaluator, Result


class ToySpace:
    """Tuples ``(v_0, ..., v_{n-1})`` with ``v_i`` in ``choices[i]`` (positive ints)."""

    name = "toy"
    allowed_tokens_depend_on_prefix = False

    def __init__(self, choices: Sequence[Sequence[int]] = ((1, 2, 3, 4),) * 4, commutative: bool = False):
        self.choices = [tuple(sorted(int(v) for v in c)) for c in choices]
        if not self.choices or any(not c or c[0] < 1 for c in self.choices):
            raise ValueError(f"toy space choices must be non-empty lists of positive ints, got {choices!r}")
        if commutative and len(set(self.choices)) != 1:
            raise ValueError("a commutative toy space needs the same choices at every position")
        self.commutative = commutative
        self.seq_len = len(self.choices)
        self.vocab_size = max(max(c) for c in self.choices) + 2  # one token that no position allows

    def sample(self, rng: np.random.Generator) -> tuple:
        return tuple(int(c[rng.integers(len(c))]) for c in self.choices)

    def is_valid(self, arch) -> bool:
        return isinstance(arch, tuple) and len(arch) == self.seq_len and all(v in c for v, c in zip(arch, self.choices))

    def size(self) -> int:
        return int(np.prod([len(c) for c in self.choices]))

    def enumerate(self) -> Iterator[tuple]:
        for idx in np.ndindex(*[len(c) for c in self.choices]):
            yield tuple(int(c[i]) for c, i in zip(self.choices, idx))

    def key(self, arch) -> str:
        self._check(arch)
        return ",".join(map(str, sorted(arch) if self.commutative else arch))

    def encode(self, arch) -> list[int]:
        self._check(arch)
        return list(arch)

    def decode(self, tokens: Sequence[int]) -> tuple | None:
        arch = tuple(int(t) for t in tokens)
        return arch if self.is_valid(arch) else None

    def allowed_tokens(self, position: int, prefix: Sequence[int] = ()) -> list[int]:
        return list(self.choices[position])

    def mutate(self, arch, rng: np.random.Generator) -> tuple:
        self._check(arch)
        movable = [i for i, c in enumerate(self.choices) if len(c) > 1]
        if not movable:
            raise ValueError("toy space has a single architecture: nothing to mutate to")
        pos = movable[int(rng.integers(len(movable)))]
        others = [v for v in self.choices[pos] if v != arch[pos]]
        new = list(arch)
        new[pos] = others[int(rng.integers(len(others)))]
        return tuple(new)

    def to_str(self, arch) -> str:
        self._check(arch)
        return "-".join(map(str, arch))

    def from_str(self, text: str) -> tuple:
        try:
            arch = tuple(int(t) for t in text.split("-"))
        except ValueError:
            raise ValueError(f"toy architecture {text!r}: expected integers joined by '-'") from None
        self._check(arch)
        return arch

    def _check(self, arch) -> None:
        if not self.is_valid(arch):
            raise ValueError(f"not a member of the toy space {self.choices}: {arch!r}")


def sum_evaluator(cost: float = 1.0) -> FunctionalEvaluator:
    """Score = sum of the chosen values (test metric = the same sum, negated, to check it stays report-only)."""

    def fn(archs):
        return [Result({"score": float(sum(a)), "neg": -float(sum(a))}, cost=cost) for a in archs]

    return FunctionalEvaluator(fn, search_metric="score")
