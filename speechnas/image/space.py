"""The MobileNetV2 (ProxylessNAS) search space of SemiNAS on ImageNet, with a multiply-add limit built in.

An architecture is one op token per searchable position (21): 1..6 = MBConv k3e3 k3e6 k5e3 k5e6 k7e3 k7e6, 7 = zero
(the block is skipped), never zero in a stage's first block (positions 0, 4, 8, 12, 16, 20). Written as the
official code writes it: ``"6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6"`` (SemiNASNet).

With a limit (default: fewer than 600M multiply-adds at the paper's final widths and 224 x 224), an architecture
over it is not a member: :meth:`sample` draws uniformly among those under it (rejection), :meth:`mutate` moves only
to neighbours under it, :meth:`decode` returns ``None`` for one over it, and :meth:`allowed_tokens` (prefix-dependent)
admits a token only when the cheapest completion of the prefix stays under it, so constrained decoding never
produces one over it. Canonical key: a skipped block is an identity inside its stage, so only the order of a stage's
non-zero ops matters (``k3e3 zero k5e6`` and ``k3e3 k5e6 zero`` are one network).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from speechnas.image.flops import Cost, CostTable
from speechnas.image.layout import FIRST_OF_STAGE, NUM_POSITIONS, STAGE_BLOCKS, Widths, width_preset
from speechnas.image.ops import MB_OPS, OP_NAMES, ZERO

_TOKEN_OF_NAME = {name: t for t, name in OP_NAMES.items()}
ALL_TOKENS = tuple(range(1, ZERO + 1))
NONZERO_TOKENS = tuple(sorted(MB_OPS))


@dataclass(frozen=True)
class ImageArch:
    """Op tokens of the 21 searchable positions (immutable, hashable); ``str()`` gives the official token string."""

    ops: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ops", tuple(int(t) for t in self.ops))
        if len(self.ops) != NUM_POSITIONS:
            raise ValueError(f"an architecture has {NUM_POSITIONS} op tokens, got {len(self.ops)}: {list(self.ops)}")
        for pos, t in enumerate(self.ops):
            if t not in ALL_TOKENS:
                raise ValueError(f"position {pos}: op token {t} is outside 1..{ZERO}")
            if t == ZERO and pos in FIRST_OF_STAGE:
                raise ValueError(f"position {pos} is the first block of a stage and cannot be zero (token {ZERO})")

    def __str__(self) -> str:
        return " ".join(map(str, self.ops))

    def readable(self) -> str:
        """Ops by stage: ``k7e6 k7e3 k3e3 zero | k5e6 ...``."""
        out, pos = [], 0
        for n in STAGE_BLOCKS:
            out.append(" ".join(OP_NAMES[t] for t in self.ops[pos:pos + n]))
            pos += n
        return " | ".join(out)


def parse_arch(text: str) -> ImageArch:
    """Token string (``"6 5 1 7 ..."``, commas allowed) or op names (``"k7e6 k7e3 ..."``, ``|`` between stages allowed)."""
    parts = text.replace(",", " ").replace("|", " ").split()
    tokens = []
    for p in parts:
        if p.isdigit():
            tokens.append(int(p))
        elif p in _TOKEN_OF_NAME:
            tokens.append(_TOKEN_OF_NAME[p])
        else:
            raise ValueError(f"architecture {text!r}: {p!r} is neither an op token 1..{ZERO} nor one of "
                             f"{' '.join(OP_NAMES.values())}")
    return ImageArch(tuple(tokens))


class ImageNetSpace:
    """Implements :class:`speechnas.nas.space.SearchSpace` (tokens 1..7, 0 is the controller's start symbol).

    ``limit_madds``: architectures must have fewer multiply-adds than this at ``limit_widths`` and
    ``limit_resolution`` (``None``: no limit).
    """

    name = "imagenet_mbv2"
    seq_len = NUM_POSITIONS
    vocab_size = ZERO + 1

    def __init__(self, limit_madds: float | None = 600e6, limit_widths: Widths | str = "final",
                 limit_resolution: int = 224, num_classes: int = 1000, max_tries: int = 100_000):
        widths = width_preset(limit_widths) if isinstance(limit_widths, str) else limit_widths
        self.limit = None if limit_madds is None else float(limit_madds)
        self.costs = CostTable(widths, limit_resolution, num_classes)
        self.max_tries = int(max_tries)
        self.allowed_tokens_depend_on_prefix = self.limit is not None
        self._counts = np.array([len(self._choices(i)) for i in range(NUM_POSITIONS)])
        # cheapest madds of positions i.. (suffix sums), for the limit's look-ahead in allowed_tokens
        cheapest = [min(m[t] for t in self._choices(i)) for i, m in enumerate(self.costs.madds)]
        self._suffix = [int(sum(cheapest[i:])) for i in range(NUM_POSITIONS + 1)]
        if self.limit is not None and self.costs.fixed.madds + self._suffix[0] >= self.limit:
            raise ValueError(f"limit_madds {self.limit:.0f}: even the cheapest architecture has "
                             f"{self.costs.fixed.madds + self._suffix[0]} multiply-adds at these widths")

    @staticmethod
    def _choices(position: int) -> tuple[int, ...]:
        return NONZERO_TOKENS if position in FIRST_OF_STAGE else ALL_TOKENS

    # -- the limit -----------------------------------------------------------------------------------------
    def cost(self, arch: ImageArch) -> Cost:
        """Multiply-adds and parameters at the limit's widths and resolution."""
        return self.costs.count(arch.ops)

    def within_limit(self, arch: ImageArch) -> bool:
        return self.limit is None or self.costs.count(arch.ops).madds < self.limit

    # -- membership ------------------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> ImageArch:
        """Uniform over the architectures under the limit (uniform draws, over-limit ones rejected)."""
        for _ in range(self.max_tries):  # tokens are 1..len(choices) at every position
            arch = ImageArch(tuple(int(t) + 1 for t in rng.integers(0, self._counts)))
            if self.within_limit(arch):
                return arch
        raise RuntimeError(f"no architecture under {self.limit:.0f} multiply-adds in {self.max_tries} uniform draws; "
                           f"the limit is too tight for rejection sampling")

    def is_valid(self, arch: object) -> bool:
        return isinstance(arch, ImageArch) and self.within_limit(arch)

    def key(self, arch: ImageArch) -> str:
        """Each stage's non-zero ops in order, zeros moved to the stage's end (a skip is an identity)."""
        self._check(arch)
        out, pos = [], 0
        for n in STAGE_BLOCKS:
            ops = [t for t in arch.ops[pos:pos + n] if t != ZERO]
            out.append(" ".join(map(str, ops + [ZERO] * (n - len(ops)))))
            pos += n
        return " | ".join(out)

    # -- encodings -------------------------------------------------------------------------------------------
    def encode(self, arch: ImageArch) -> list[int]:
        self._check(arch)
        return list(arch.ops)

    def decode(self, tokens: Sequence[int]) -> ImageArch | None:
        try:
            arch = ImageArch(tuple(int(t) for t in tokens))
        except ValueError:
            return None
        return arch if self.within_limit(arch) else None

    def allowed_tokens(self, position: int, prefix: Sequence[int] = ()) -> list[int]:
        """Tokens legal at ``position``: no zero in a stage's first block; with a limit, only tokens that leave a
        completion under it (prefix cost + this op + the cheapest ops after it)."""
        if not 0 <= position < NUM_POSITIONS:
            raise ValueError(f"position {position} is outside 0..{NUM_POSITIONS - 1}")
        choices = self._choices(position)
        if self.limit is None:
            return list(choices)
        prefix = [int(t) for t in prefix][:position]
        if len(prefix) < position:
            raise ValueError(f"allowed_tokens({position}) needs the {position} tokens before it, got {len(prefix)}")
        spent = self.costs.fixed.madds + sum(self.costs.madds[i].get(t, 0) for i, t in enumerate(prefix))
        rest = self._suffix[position + 1]
        return [t for t in choices if spent + self.costs.madds[position][t] + rest < self.limit]

    def mutate(self, arch: ImageArch, rng: np.random.Generator) -> ImageArch:
        """Change the op of one position to another op, uniformly among the single-op changes under the limit."""
        self._check(arch)
        moves = [(pos, t) for pos in range(NUM_POSITIONS) for t in self._choices(pos) if t != arch.ops[pos]
                 and self._under(arch.ops, pos, t)]
        if not moves:
            raise ValueError(f"{arch}: no single-op change stays under the limit")
        pos, t = moves[int(rng.integers(len(moves)))]
        ops = list(arch.ops)
        ops[pos] = t
        return ImageArch(tuple(ops))

    def _under(self, ops: tuple[int, ...], pos: int, token: int) -> bool:
        if self.limit is None:
            return True
        m = self.costs.count(ops).madds - self.costs.madds[pos][ops[pos]] + self.costs.madds[pos][token]
        return m < self.limit

    def to_str(self, arch: ImageArch) -> str:
        self._check(arch)
        return str(arch)

    def from_str(self, text: str) -> ImageArch:
        arch = parse_arch(text)
        if not self.within_limit(arch):
            raise ValueError(f"architecture {text!r} has {self.cost(arch).madds} multiply-adds, not under the "
                             f"limit of {self.limit:.0f}")
        return arch

    def _check(self, arch: object) -> None:
        if not isinstance(arch, ImageArch):
            raise ValueError(f"{arch!r} is not an ImageArch")
        if not self.within_limit(arch):
            raise ValueError(f"{arch}: {self.cost(arch).madds} multiply-adds, not under the limit of {self.limit:.0f}")

