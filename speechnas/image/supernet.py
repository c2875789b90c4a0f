"""The one-shot supernet: every position holds all six MBConv candidates (separate weights and batch norms);
a forward pass runs the single path of one architecture, a zero op passing its input through.

:meth:`SuperNet.standalone` builds the standalone :class:`~speechnas.image.model.ImageNet` of one path with the
supernet's weights (same outputs for the same input).
"""
from __future__ import annotations

from typing import Iterator

import torch
from torch import nn

from speechnas.image.layout import block_specs
from speechnas.image.model import Head, ImageNet, NetConfig, Stem
from speechnas.image.ops import MB_OPS, ZERO, init_weights, make_op
from speechnas.image.space import ImageArch


class SuperNet(nn.Module):
    """``forward(images, arch) -> logits``; ``blocks[i][t - 1]`` is candidate ``t`` at position ``i``."""

    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        self.stem = Stem(cfg.widths)
        self.blocks = nn.ModuleList(
            nn.ModuleList(make_op(t, s.in_channels, s.out_channels, s.stride) for t in sorted(MB_OPS))
            for s in block_specs(cfg.widths))
        self.head = Head(cfg.widths, cfg.num_classes, cfg.dropout)
        init_weights(self)

    def _check(self, arch: ImageArch | None) -> ImageArch:
        if not isinstance(arch, ImageArch):
            raise ValueError(f"the supernet needs an ImageArch for every pass, got {arch!r}")
        return arch

    def forward(self, x: torch.Tensor, arch: ImageArch) -> torch.Tensor:
        x = self.stem(x)
        for candidates, t in zip(self.blocks, self._check(arch).ops):
            if t != ZERO:
                x = candidates[t - 1](x)
        return self.head(x)

    def path_modules(self, arch: ImageArch) -> Iterator[nn.Module]:
        """The submodules one pass of ``arch`` runs (stem, the chosen candidates, head)."""
        yield self.stem
        for candidates, t in zip(self.blocks, self._check(arch).ops):
            if t != ZERO:
                yield candidates[t - 1]
        yield self.head

    def path_state_dict(self, arch: ImageArch) -> dict[str, torch.Tensor]:
        """The state of path ``arch`` under the parameter names of a standalone :class:`ImageNet`."""
        ops = self._check(arch).ops
        out = {}
        for key, value in self.state_dict().items():
            parts = key.split(".")
            if parts[0] == "blocks":
                pos, cand = int(parts[1]), int(parts[2])
                if ops[pos] == ZERO or cand != ops[pos] - 1:
                    continue
                key = ".".join(parts[:2] + parts[3:])
            out[key] = value
        return out

    def standalone(self, arch: ImageArch, dropout: float | None = None) -> ImageNet:
        """A standalone network of ``arch`` holding this supernet's weights (and BN statistics) for that path."""
        cfg = self.cfg if dropout is None else NetConfig(self.cfg.widths, self.cfg.num_classes, dropout)
        model = ImageNet(cfg, arch)
        model.load_state_dict(self.path_state_dict(arch))
        return model.to(next(self.parameters()).device)

