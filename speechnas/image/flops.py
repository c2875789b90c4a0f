"""Exact multiply-adds and parameters of any architecture at any widths and input size.

Counting rule (ProxylessNAS's, which the SemiNAS code reuses): a convolution costs
``out_h * out_w * out_channels * in_channels / groups * k * k`` multiply-adds, the classifier ``in * out``;
batch norm, activations, residual additions, pooling and biases cost nothing. Parameters are every learnable
tensor of the standalone network (convolutions, batch-norm scale and shift, classifier weight and bias).

Every searchable block's cost depends only on its own op (widths and resolution at each position are fixed), so an
architecture's cost is a fixed part plus one table entry per position: :class:`CostTable`. The space uses the same
table to keep every architecture under a multiply-add limit. :func:`hook_count` counts a real module by forward
hooks instead, as an independent check.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from speechnas.image.layout import NUM_POSITIONS, Widths, block_specs, conv_out
from speechnas.image.ops import MB_OPS, ZERO


@dataclass(frozen=True)
class Cost:
    madds: int
    params: int


def conv_cost(cin: int, cout: int, k: int, out_hw: int, groups: int = 1) -> Cost:
    """A bias-free conv followed by batch norm (2 x cout parameters)."""
    weights = cout * (cin // groups) * k * k
    return Cost(out_hw * out_hw * weights, weights + 2 * cout)


def mbconv_cost(cin: int, cout: int, k: int, expand: int, stride: int, in_hw: int) -> Cost:
    """Inverted residual: 1x1 expand (absent for e = 1), k x k depthwise with ``stride``, 1x1 linear projection."""
    mid = round(cin * expand)
    out_hw = conv_out(in_hw, stride)
    parts = [conv_cost(mid, mid, k, out_hw, groups=mid), conv_cost(mid, cout, 1, out_hw)]
    if expand != 1:
        parts.append(conv_cost(cin, mid, 1, in_hw))
    return Cost(sum(p.madds for p in parts), sum(p.params for p in parts))


class CostTable:
    """Per-position op costs plus the fixed stem, first block, head and classifier, for one set of widths."""

    def __init__(self, widths: Widths, resolution: int = 224, num_classes: int = 1000):
        self.widths, self.resolution, self.num_classes = widths, int(resolution), int(num_classes)
        hw = conv_out(self.resolution, 2)
        stem = conv_cost(3, widths.stem, 3, hw)
        first = mbconv_cost(widths.stem, widths.first, 3, 1, 1, hw)
        self.madds: list[dict[int, int]] = []  # position -> {token: madds}
        self.params: list[dict[int, int]] = []
        for spec in block_specs(widths):
            m, p = {ZERO: 0}, {ZERO: 0}
            for token, (k, e) in MB_OPS.items():
                c = mbconv_cost(spec.in_channels, spec.out_channels, k, e, spec.stride, hw)
                m[token], p[token] = c.madds, c.params
            self.madds.append(m)
            self.params.append(p)
            hw = conv_out(hw, spec.stride)
        head = conv_cost(widths.stages[-1], widths.head, 1, hw)
        classifier = Cost(widths.head * num_classes, widths.head * num_classes + num_classes)
        fixed = (stem, first, head, classifier)
        self.fixed = Cost(sum(c.madds for c in fixed), sum(c.params for c in fixed))

    def count(self, tokens: Sequence[int]) -> Cost:
        """Multiply-adds and parameters of the network with op ``tokens[i]`` at position ``i``."""
        if len(tokens) != NUM_POSITIONS:
            raise ValueError(f"expected {NUM_POSITIONS} op tokens, got {len(tokens)}")
        m, p = self.fixed.madds, self.fixed.params
        for pos, t in enumerate(tokens):
            m += self.madds[pos][int(t)]
            p += self.params[pos][int(t)]
        return Cost(m, p)


def hook_count(module: nn.Module, resolution: int, *args) -> Cost:
    """Multiply-adds by forward hooks on every Conv2d and Linear during one pass of a 1 x 3 x r x r input
    (``args`` go to ``module.forward`` after the image), and the module's parameter count."""
    total = [0]

    def conv_hook(m: nn.Conv2d, inp, out) -> None:
        total[0] += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m: nn.Linear, inp, out) -> None:
        total[0] += m.in_features * m.out_features

    handles = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            module(torch.zeros(1, 3, resolution, resolution, device=next(module.parameters()).device), *args)
    finally:
        for h in handles:
            h.remove()
        module.train(was_training)
    return Cost(total[0], sum(p.numel() for p in module.parameters()))
