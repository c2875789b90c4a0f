"""The standalone MobileNetV2-style network of one architecture: stem, fixed first block, 21 positions, head.

A skipped position (zero) is an ``nn.Identity`` in ``blocks``, so the parameter names of position ``i`` are the same
as in the supernet minus the candidate index (:meth:`speechnas.image.supernet.SuperNet.path_state_dict`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from speechnas.image.layout import Widths, block_specs
from speechnas.image.ops import ZERO, MBConv, conv_bn, init_weights, make_op
from speechnas.image.space import ImageArch


@dataclass
class NetConfig:
    """Widths, classes and classifier dropout of a network (the supernet uses the same fields)."""

    widths: Widths = field(default_factory=Widths)
    num_classes: int = 1000
    dropout: float = 0.0  # before the classifier (final training: 0.3)


class Stem(nn.Module):
    """3x3 conv stride 2 to ``widths.stem``, then MBConv k3 e1 to ``widths.first`` (no shortcut)."""

    def __init__(self, widths: Widths):
        super().__init__()
        self.conv = conv_bn(3, widths.stem, 3, stride=2)
        self.first = MBConv(widths.stem, widths.first, 3, 1, 1, residual=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.first(self.conv(x))


class Head(nn.Module):
    """1x1 conv to ``widths.head``, global average pool, dropout, classifier. ``(N, C, H, W) -> (N, classes)``."""

    def __init__(self, widths: Widths, num_classes: int, dropout: float):
        super().__init__()
        self.conv = conv_bn(widths.stages[-1], widths.head, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(widths.head, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x).mean(dim=(2, 3))
        return self.classifier(self.dropout(x))


class ImageNet(nn.Module):
    """``forward(images (N, 3, H, W) normalised) -> logits (N, classes)`` for the fixed architecture ``arch``."""

    def __init__(self, cfg: NetConfig, arch: ImageArch):
        super().__init__()
        self.cfg, self.arch = cfg, arch
        self.stem = Stem(cfg.widths)
        self.blocks = nn.ModuleList(
            nn.Identity() if t == ZERO else make_op(t, s.in_channels, s.out_channels, s.stride)
            for s, t in zip(block_specs(cfg.widths), arch.ops))
        self.head = Head(cfg.widths, cfg.num_classes, cfg.dropout)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)
