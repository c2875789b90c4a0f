"""The fixed skeleton of the MobileNetV2 (ProxylessNAS) space: stage widths, strides and the 21 searchable positions.

Stem (3x3 conv, stride 2) -> one fixed MBConv k3 e1 -> 6 stages of 4, 4, 4, 4, 4, 1 searchable blocks (first-block
strides 2, 2, 2, 1, 2, 1) -> 1x1 conv head -> pool -> classifier. :class:`Widths` holds the channel counts; the
presets are the search-time supernet (ProxylessNAS widths) and the paper's re-widened final network.
"""
from __future__ import annotations

from dataclasses import dataclass

STAGE_BLOCKS: tuple[int, ...] = (4, 4, 4, 4, 4, 1)
STAGE_STRIDES: tuple[int, ...] = (2, 2, 2, 1, 2, 1)
NUM_POSITIONS = sum(STAGE_BLOCKS)  # 21
FIRST_OF_STAGE: tuple[int, ...] = tuple(sum(STAGE_BLOCKS[:s]) for s in range(len(STAGE_BLOCKS)))  # 0 4 8 12 16 20


@dataclass(frozen=True)
class Widths:
    """Channel counts: stem conv, the fixed first block, the six stages, the 1x1 head conv."""

    stem: int = 32
    first: int = 16
    stages: tuple[int, ...] = (24, 40, 80, 96, 192, 320)
    head: int = 1280

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(int(w) for w in self.stages))
        if len(self.stages) != len(STAGE_BLOCKS):
            raise ValueError(f"widths.stages needs {len(STAGE_BLOCKS)} values (one per stage), got {list(self.stages)}")
        for name, w in (("stem", self.stem), ("first", self.first), ("head", self.head), *(
                (f"stages[{i}]", w) for i, w in enumerate(self.stages))):
            if not isinstance(w, int) or w < 1:
                raise ValueError(f"widths.{name} must be a positive int, got {w!r}")


WIDTH_PRESETS: dict[str, Widths] = {
    "supernet": Widths(),  # ProxylessNAS / SemiNAS search widths
    "final": Widths(stem=40, first=24, stages=(32, 56, 112, 128, 256, 432), head=1728),  # SemiNASNet as released
}


def width_preset(name: str) -> Widths:
    """The named width preset (``supernet`` or ``final``); an unknown name lists the choices."""
    try:
        return WIDTH_PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown width preset {name!r}; choose one of {sorted(WIDTH_PRESETS)}") from None


@dataclass(frozen=True)
class BlockSpec:
    """One searchable position: its stage, channels in and out, and stride."""

    position: int
    stage: int
    in_channels: int
    out_channels: int
    stride: int

    @property
    def first_in_stage(self) -> bool:
        """The stage's first block changes shape (stride or width), so it cannot be skipped."""
        return self.position in FIRST_OF_STAGE


def block_specs(widths: Widths) -> list[BlockSpec]:
    """The 21 searchable positions in order."""
    specs, cin, pos = [], widths.first, 0
    for stage, (cout, n, stride) in enumerate(zip(widths.stages, STAGE_BLOCKS, STAGE_STRIDES)):
        for j in range(n):
            specs.append(BlockSpec(pos, stage, cin, cout, stride if j == 0 else 1))
            cin, pos = cout, pos + 1
    return specs


def conv_out(size: int, stride: int) -> int:
    """Spatial size after a conv with odd kernel, 'same' padding (k // 2) and ``stride``."""
    return (size - 1) // stride + 1
