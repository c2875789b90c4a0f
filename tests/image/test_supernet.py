"""Supernet paths equal the standalone networks built from them; recalibration leaves the supernet unchanged."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from speechnas.image.evaluate import recalibrated, score_path
from speechnas.image.model import ImageNet, NetConfig
from speechnas.image.space import ImageNetSpace, parse_arch
from speechnas.image.supernet import SuperNet

from image_fixtures import TINY, mini_root  # noqa: F401 (mini_root: a fixture)


@pytest.fixture(scope="module")
def supernet():
    torch.manual_seed(0)
    net = SuperNet(NetConfig(TINY, num_classes=5))
    with torch.no_grad():  # non-trivial BN statistics and affine parameters
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    return net


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_path_equals_standalone(supernet, mode):
    rng = np.random.default_rng(0)
    space = ImageNetSpace(limit_madds=None)
    x = torch.randn(3, 3, 48, 48)
    for arch in [space.sample(rng) for _ in range(4)] + [parse_arch("1 7 7 7 2 7 7 7 3 7 7 7 4 7 7 7 5 7 7 7 6")]:
        alone = supernet.standalone(arch)
        assert isinstance(alone, ImageNet) and alone.arch == arch
        getattr(supernet, mode)()
        getattr(alone, mode)()
        with torch.no_grad():
            torch.testing.assert_close(supernet(x, arch), alone(x), rtol=0, atol=0)
    supernet.eval()


def test_paths_differ_and_unused_candidates_get_no_gradient(supernet):
    space = ImageNetSpace(limit_madds=None)
    a, b = parse_arch("1 " * 21), parse_arch("6 " * 21)
    x = torch.randn(2, 3, 32, 32)
    supernet.eval()
    assert not torch.allclose(supernet(x, a), supernet(x, b))
    supernet.zero_grad(set_to_none=True)
    supernet.train()
    supernet(x, a).sum().backward()
    for pos, candidates in enumerate(supernet.blocks):
        for t, op in enumerate(candidates, start=1):
            has = any(p.grad is not None for p in op.parameters())
            assert has == (t == a.ops[pos])
    supernet.zero_grad(set_to_none=True)
    supernet.eval()
    assert space.key(a) != space.key(b)


def test_recalibration_changes_the_score_and_restores_the_statistics(supernet):
    arch = parse_arch("2 7 3 1 4 1 7 7 5 6 1 1 3 3 3 3 2 2 2 2 1")
    before = {k: v.clone() for k, v in supernet.state_dict().items()}
    g = torch.Generator().manual_seed(1)
    batches = [(torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=g), torch.arange(8) % 5)
               for _ in range(3)]
    holdout = batches[:1]
    dev = torch.device("cpu")
    with recalibrated(supernet, arch, batches, dev):
        norms = [m for mod in supernet.path_modules(arch) for m in mod.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        assert all(int(bn.num_batches_tracked) == 3 for bn in norms)  # cumulative average over the 3 batches
        assert not supernet.training
    for k, v in supernet.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    with_recal = score_path(supernet, arch, holdout, batches, dev)
    without = score_path(supernet, arch, holdout, None, dev)
    assert with_recal["loss"] != without["loss"] and with_recal["score_s"] > 0
    assert 0 <= with_recal["top1"] <= 1 and with_recal["images"] == 8
