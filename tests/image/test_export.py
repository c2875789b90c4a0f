"""Export and load with one call: same outputs as the trained network; the predict CLI on a folder; clear errors."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

import speechnas.image
from speechnas.image.data import DataConfig, eval_transform, Samples
from speechnas.image.export import ModelDirError, export_model, image_files
from speechnas.image.model import ImageNet, NetConfig
from speechnas.image.space import ImageNetSpace

from image_fixtures import TINY, mini_root  # noqa: F401 (mini_root: a fixture)

CLASSES = ["n90000000_disc", "n90000001_square", "n90000002_triangle", "n90000003_ring"]


@pytest.fixture
def exported(tmp_path):
    torch.manual_seed(0)
    arch = ImageNetSpace().sample(np.random.default_rng(1))
    model = ImageNet(NetConfig(TINY, 4, dropout=0.3), arch).eval()
    with torch.no_grad():  # a network whose BN statistics are not the defaults
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
    export_model(tmp_path / "export", model, CLASSES, DataConfig(image_size=32), {"top1": 0.5})
    return model, tmp_path / "export"


def test_round_trip(exported, mini_root):
    model, path = exported
    clf = speechnas.image.load_model(path)
    assert clf.model.arch == model.arch and clf.classes == CLASSES and clf.meta["top1"] == 0.5
    files = image_files(mini_root / "val")
    x = torch.stack([Samples([(str(f), 0)], eval_transform(DataConfig(image_size=32)))[0][0] for f in files[:6]])
    from speechnas.image.data import to_input

    with torch.no_grad():
        want = model(to_input(x, torch.device("cpu"))).softmax(1)
    torch.testing.assert_close(clf.predict(x), want)
    preds = clf.predict_files(files[:6], batch_size=4, topk=2)
    assert [p["file"] for p in preds] == [str(f) for f in files[:6]]
    for p, row in zip(preds, want):
        assert p["top"][0]["class"] == CLASSES[int(row.argmax())] and len(p["top"]) == 2


def test_predict_cli(exported, mini_root, tmp_path):
    _, path = exported
    folder = mini_root / "val" / CLASSES[2]
    cmd = [sys.executable, "-m", "speechnas.bin.imagenet_predict", "--model", str(path), "--topk", "3"]
    r = subprocess.run(cmd + ["--images", str(folder), "--out", str(tmp_path / "p.jsonl")], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(lines) == 10 and all(len(x["top"]) == 3 for x in lines)
    assert (tmp_path / "p.jsonl").read_text() == r.stdout
    r = subprocess.run(cmd + ["--images", str(tmp_path / "none")], capture_output=True, text=True)
    assert r.returncode == 2 and "is not a folder" in r.stderr


def test_damaged_or_missing_model_dirs(exported, tmp_path):
    _, path = exported
    with pytest.raises(ModelDirError, match="model.yaml not found"):
        speechnas.image.load_model(tmp_path)
    data = bytearray((path / "model.pt").read_bytes())
    data[-100] ^= 0xFF
    (path / "model.pt").write_bytes(bytes(data))
    with pytest.raises(ModelDirError, match="sha256 differs"):
        speechnas.image.load_model(path)
