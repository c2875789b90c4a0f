"""The multiply-add and parameter counter: the paper's numbers, and the same count by forward hooks on real modules."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from speechnas.image.flops import CostTable, hook_count
from speechnas.image.layout import Widths, width_preset
from speechnas.image.model import ImageNet, NetConfig
from speechnas.image.space import ImageNetSpace, parse_arch
from speechnas.image.supernet import SuperNet

SEMINASNET = parse_arch("6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6")


def test_paper_numbers():
    final = CostTable(width_preset("final")).count(SEMINASNET.ops)
    assert round(final.madds / 1e6, 1) == 599.0 and round(final.params / 1e6, 2) == 6.32
    assert round(CostTable(width_preset("supernet")).count(SEMINASNET.ops).madds / 1e6) == 339
    assert round(CostTable(width_preset("supernet")).count((6,) * 21).madds / 1e6) == 607


@pytest.mark.parametrize("widths,resolution,classes", [
    (width_preset("final"), 224, 1000), (width_preset("supernet"), 224, 1000),
    (Widths(8, 8, (8, 16, 24, 32, 48, 64), 96), 64, 5), (Widths(12, 8, (16, 16, 24, 24, 40, 48), 64), 97, 10)])
def test_counter_equals_hooks_on_the_real_network(widths, resolution, classes):
    rng = np.random.default_rng(resolution)
    space = ImageNetSpace(limit_madds=None)
    table = CostTable(widths, resolution, classes)
    archs = [SEMINASNET, parse_arch(" ".join(["6"] * 21))] + [space.sample(rng) for _ in range(2)]
    for arch in archs:
        assert hook_count(ImageNet(NetConfig(widths, classes), arch), resolution) == table.count(arch.ops)


def test_supernet_path_counts_the_same():
    widths = Widths(8, 8, (8, 16, 24, 32, 48, 64), 96)
    net = SuperNet(NetConfig(widths, 7))
    arch = ImageNetSpace(limit_madds=None).sample(np.random.default_rng(5))
    hooked = hook_count(net, 64, arch)
    assert hooked.madds == CostTable(widths, 64, 7).count(arch.ops).madds
    assert sum(p.numel() for p in net.standalone(arch).parameters()) == CostTable(widths, 64, 7).count(arch.ops).params


def test_cli_prints_json():
    r = subprocess.run([sys.executable, "-m", "speechnas.bin.imagenet_flops", "--arch", str(SEMINASNET),
                        "--widths", "final"], capture_output=True, text=True, check=True)
    out = json.loads(r.stdout)
    assert out["madds"] == 598952544 and out["params"] == 6319360 and out["under_limit"] is True
    r = subprocess.run([sys.executable, "-m", "speechnas.bin.imagenet_flops", "--arch", "7 " * 21],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "position 0" in r.stderr
