"""The image trainer: the loss falls on the mini set; a resumed run equals an uninterrupted one; the schedule."""
from __future__ import annotations

import math

import torch

from speechnas.image.data import DataConfig, fixed_batches, load_split, make_split, train_loader
from speechnas.image.evaluate import evaluate
from speechnas.image.model import ImageNet, NetConfig
from speechnas.image.oneshot import PathSampler
from speechnas.image.space import ImageNetSpace, parse_arch
from speechnas.image.supernet import SuperNet
from speechnas.image.train import ImageTrainConfig, ImageTrainer, learning_rate, param_groups

from image_fixtures import TINY, mini_root  # noqa: F401 (mini_root: a fixture)

DATA = DataConfig(image_size=32, crop_scale_min=0.5, workers=0)
ARCH = parse_arch("1 7 7 7 3 7 7 7 2 7 7 7 1 7 7 7 4 7 7 7 1")


def _split(mini_root, tmp_path):
    make_split(mini_root, 16, 0, tmp_path / "split.json")
    return load_split(tmp_path / "split.json")


def _cfg(**kw) -> ImageTrainConfig:
    base = dict(batch_size=16, lr=0.1, max_steps=60, device="cpu", log_every=10, save_every=20, seed=3)
    return ImageTrainConfig(**{**base, **kw})


def test_loss_falls_on_the_mini_set(mini_root, tmp_path):
    split = _split(mini_root, tmp_path)
    fixed = fixed_batches(split.train[::4] + split.holdout, DATA, 64)
    torch.manual_seed(2)
    trainer = ImageTrainer(ImageNet(NetConfig(TINY, 4), ARCH), _cfg(max_steps=80, seed=2), tmp_path / "exp")
    before = evaluate(trainer.model, fixed, trainer.device)
    out = trainer.train(train_loader(split.train, DATA, 16, seed=2))
    after = evaluate(trainer.model, fixed, trainer.device)
    assert out["step"] == 80 and len((tmp_path / "exp" / "train_log.jsonl").read_text().splitlines()) == 8
    assert after["loss"] < before["loss"] - 0.15 and after["top1"] > 0.4, (before, after)  # 4 classes: chance 0.25
    assert (tmp_path / "exp" / "checkpoints" / "ckpt_00000080.pt").is_file()
    assert (tmp_path / "exp" / "config.yaml").is_file() and any((tmp_path / "exp" / "tensorboard").iterdir())


def test_resume_equals_an_uninterrupted_run(mini_root, tmp_path):
    split = _split(mini_root, tmp_path)
    space = ImageNetSpace(limit_madds=None)
    pool = [space.sample(__import__("numpy").random.default_rng(i)) for i in range(3)]

    def run(exp, steps, resume=False):
        torch.manual_seed(0)
        trainer = ImageTrainer(SuperNet(NetConfig(TINY, 4)), _cfg(max_steps=12, save_every=4), exp,
                               PathSampler(pool, seed=5))
        if resume:
            assert trainer.resume()
        trainer.train(train_loader(split.train, DATA, 16, seed=1), max_steps=steps)
        return trainer

    whole = run(tmp_path / "a", 12)
    run(tmp_path / "b", 8)  # stops mid-epoch (9 batches per epoch), at a checkpoint
    resumed = run(tmp_path / "b", 12, resume=True)
    assert resumed.epoch == whole.epoch == 1 and resumed.batch_in_epoch == whole.batch_in_epoch == 3
    for (k, v), w in zip(whole.model.state_dict().items(), resumed.model.state_dict().values()):
        torch.testing.assert_close(v, w, rtol=0, atol=0, msg=k)


def test_schedules_and_decay_groups():
    cfg = _cfg(lr=0.4, schedule="cosine")
    assert learning_rate(cfg, 0, 0, 100) == 0.4 and learning_rate(cfg, 100, 9, 100) == 0.0
    assert math.isclose(learning_rate(cfg, 50, 0, 100), 0.2)
    step = _cfg(lr=0.4, schedule="step", gamma=0.97)
    assert math.isclose(learning_rate(step, 12345, 3, 1), 0.4 * 0.97 ** 3)
    groups = param_groups(ImageNet(NetConfig(TINY, 4), ARCH), 4e-5)
    assert groups[0]["weight_decay"] == 4e-5 and all(p.ndim == 4 or p.ndim == 2 for p in groups[0]["params"])
    assert groups[1]["weight_decay"] == 0.0 and all(p.ndim == 1 for p in groups[1]["params"])  # BN and biases
