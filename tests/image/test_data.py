"""The mini set, the held-out split, the transforms, both decoders and the resumable epoch sampler."""
from __future__ import annotations

import json
import shutil

import pytest
import torch
from PIL import Image

from speechnas.image.data import (DataConfig, EpochBatchSampler, Samples, check_image_folder, eval_transform,
                                  load_split, make_split, train_transform)
from speechnas.image.mini import MiniSetConfig, make_mini_set

from image_fixtures import mini_root  # noqa: F401 (a fixture)


def test_mini_set_layout_and_determinism(mini_root, tmp_path):
    info = check_image_folder(mini_root)
    assert info["classes"] == ["n90000000_disc", "n90000001_square", "n90000002_triangle", "n90000003_ring"]
    assert info["train_images"] == 160 and info["val_images"] == 40
    files = sorted((mini_root / "train").rglob("*.JPEG"))
    assert files[0].name == "n90000000_00000.JPEG"
    with Image.open(files[0]) as im:
        assert im.format == "JPEG" and im.size == (40, 40)
    cfg = MiniSetConfig(num_classes=4, train_per_class=40, val_per_class=10, image_size=40)
    again = make_mini_set(tmp_path / "again", cfg)
    assert all((again / f.relative_to(mini_root)).read_bytes() == f.read_bytes() for f in files[::17])
    other = make_mini_set(tmp_path / "other", MiniSetConfig(num_classes=4, train_per_class=40, val_per_class=10,
                                                            image_size=40, seed=1))
    assert (other / files[0].relative_to(mini_root)).read_bytes() != files[0].read_bytes()
    make_mini_set(tmp_path / "again", cfg)  # finished: skipped
    with pytest.raises(ValueError, match="other settings"):
        make_mini_set(tmp_path / "again", MiniSetConfig(num_classes=3))


def test_layout_errors_name_the_folder(tmp_path, mini_root):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nothing" / "train")):
        check_image_folder(tmp_path / "nothing")
    bad = tmp_path / "bad"
    shutil.copytree(mini_root, bad)
    shutil.rmtree(bad / "val" / "n90000003_ring")
    with pytest.raises(ValueError, match="only in train: \\['n90000003_ring'\\]"):
        check_image_folder(bad)


def test_split_is_deterministic_and_guarded(mini_root, tmp_path):
    a = make_split(mini_root, 24, 5, tmp_path / "a.json")
    b = make_split(mini_root, 24, 5, tmp_path / "b.json")
    c = make_split(mini_root, 24, 6, tmp_path / "c.json")
    assert a["holdout_files"] == b["holdout_files"] != c["holdout_files"]
    assert make_split(mini_root, 24, 5, tmp_path / "a.json") == json.loads((tmp_path / "a.json").read_text())
    with pytest.raises(ValueError, match="different holdout"):
        make_split(mini_root, 30, 5, tmp_path / "a.json")
    split = load_split(tmp_path / "a.json")
    assert len(split.holdout) == 24 and len(split.train) == 136 and len(split.val) == 40
    assert not {p for p, _ in split.holdout} & {p for p, _ in split.train}
    with pytest.raises(ValueError, match="between 1 and"):
        make_split(mini_root, 160, 0, tmp_path / "d.json")


@pytest.mark.parametrize("decoder", ["pil", "torchvision"])
def test_transforms_give_uint8_crops(mini_root, decoder):
    cfg = DataConfig(image_size=32, decoder=decoder)
    path = str(sorted((mini_root / "train").rglob("*.JPEG"))[0])
    for tf in (train_transform(cfg), eval_transform(cfg)):
        x, y = Samples([(path, 3)], tf, decoder)[0]
        assert type(x) is torch.Tensor and x.dtype == torch.uint8 and x.shape == (3, 32, 32) and y == 3
    pil = Samples([(path, 0)], eval_transform(cfg), "pil")[0][0].float()
    tv = Samples([(path, 0)], eval_transform(cfg), "torchvision")[0][0].float()
    assert (pil - tv).abs().mean() < 3  # the same picture through either decoder


def test_unreadable_image_is_named(tmp_path):
    bad = tmp_path / "broken.JPEG"
    bad.write_bytes(b"not a jpeg")
    with pytest.raises(RuntimeError, match="broken.JPEG"):
        Samples([(str(bad), 0)], eval_transform(DataConfig(image_size=8)))[0]


def test_epoch_sampler_resumes_inside_an_epoch_and_splits_ranks():
    s = EpochBatchSampler(50, 4, seed=3)
    s.set_epoch(2)
    full = list(s)
    assert len(full) == len(s) == 12 and all(len(b) == 4 for b in full)
    s.set_epoch(2)
    s.set_start(5)
    assert list(s) == full[5:] and all(e == 2 for b in full for _, e in b)
    assert list(s) == full  # the start applies to one pass only
    s.set_epoch(3)
    assert list(s) != full
    ranks = [EpochBatchSampler(50, 4, seed=3, rank=r, world=2) for r in range(2)]
    for r in ranks:
        r.set_epoch(2)
    a, b = list(ranks[0]), list(ranks[1])
    assert len(a) == len(b) == 6 and not set(sum(a, [])) & set(sum(b, []))


def test_augmentation_depends_on_seed_epoch_and_index_only(mini_root):
    cfg = DataConfig(image_size=24)
    files = [(str(p), 0) for p in sorted((mini_root / "train").rglob("*.JPEG"))[:3]]
    ds = Samples(files, train_transform(cfg), seed=4)
    torch.manual_seed(0)
    a = ds[(1, 7)][0]
    torch.manual_seed(123)  # the global RNG plays no part ...
    state = torch.get_rng_state()
    assert torch.equal(ds[(1, 7)][0], a)
    assert torch.equal(torch.get_rng_state(), state)  # ... and is left as it was
    assert not torch.equal(ds[(1, 8)][0], a) and not torch.equal(Samples(files, train_transform(cfg), seed=5)[(1, 7)][0], a)
    with pytest.raises(ValueError, match="fewer than one global batch"):
        EpochBatchSampler(7, 4, seed=0, world=2)
