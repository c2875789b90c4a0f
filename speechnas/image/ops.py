"""The candidate ops: MBConv (inverted residual) blocks with kernel 3/5/7 and expansion 3/6, and zero (skip).

Tokens follow the official SemiNAS ImageNet code: 1 = k3 e3, 2 = k3 e6, 3 = k5 e3, 4 = k5 e6, 5 = k7 e3,
6 = k7 e6, 7 = zero (the block is skipped: its input passes through unchanged).
"""
from __future__ import annotations

import math

from torch import nn

MB_OPS: dict[int, tuple[int, int]] = {1: (3, 3), 2: (3, 6), 3: (5, 3), 4: (5, 6), 5: (7, 3), 6: (7, 6)}  # (k, e)
ZERO = 7
OP_NAMES: dict[int, str] = {**{t: f"k{k}e{e}" for t, (k, e) in MB_OPS.items()}, ZERO: "zero"}
BN_MOMENTUM, BN_EPS = 0.1, 1e-3  # as the official code


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    """Bias-free k x k conv ('same' padding) + batch norm (+ ReLU6)."""
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand (omitted for e = 1), k x k depthwise with stride, 1x1 linear projection.

    The input is added back when stride = 1 and the channels match. Shapes: ``(N, cin, H, W) -> (N, cout, H', W')``.
    """

    def __init__(self, cin: int, cout: int, kernel: int, expand: int, stride: int, residual: bool | None = None):
        super().__init__()
        mid = round(cin * expand)
        self.expand = conv_bn(cin, mid, 1) if expand != 1 else None
        self.depthwise = conv_bn(mid, mid, kernel, stride, groups=mid)
        self.project = conv_bn(mid, cout, 1, act=False)
        self.residual = (stride == 1 and cin == cout) if residual is None else residual

    def forward(self, x):
        out = x if self.expand is None else self.expand(x)
        out = self.project(self.depthwise(out))
        return out + x if self.residual else out


def make_op(token: int, cin: int, cout: int, stride: int) -> nn.Module:
    """The candidate ``token`` (1..6) at a position with these channels and stride."""
    if token not in MB_OPS:
        raise ValueError(f"op token {token} is not an MBConv (1..6); zero ({ZERO}) has no module")
    k, e = MB_OPS[token]
    return MBConv(cin, cout, k, e, stride)


def init_weights(module: nn.Module) -> None:
    """As the official code: He fan-out for convolutions (``he_fout``: k * k * out_channels, depthwise too), BN to
    identity, classifier uniform in +-1/sqrt(in_features) with zero bias."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / n))
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            bound = 1.0 / math.sqrt(m.in_features)
            nn.init.uniform_(m.weight, -bound, bound)
            nn.init.zeros_(m.bias)
