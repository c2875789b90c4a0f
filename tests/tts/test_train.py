"""The trainer: exact resume (supernet, mid-epoch), TensorBoard scalars and images, non-finite steps skipped
and counted then stopped, configs with dotted overrides, and DDP under torchrun."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from speechnas.tts.model.arch import TTSSearchSpace
from speechnas.tts.model.backbone import TTSModel, TTSModelConfig
from speechnas.tts.model.supernet import ArchSampler, SuperNet
from speechnas.tts.training.trainer import NonFiniteLossError, Trainer, TrainConfig
from speechnas.utils.checkpoint import list_checkpoints
from speechnas.utils.config import ConfigError, load_config

from tts_testdata import VOCAB_SIZE, random_batch

MODEL = TTSModelConfig(vocab_size=VOCAB_SIZE, hidden_size=16, prenet_size=8, encoder_layers=2, decoder_layers=2,
                       arch="enc: tf2 conv5 | dec: tf2 lstm")


def _data():
    return [random_batch([6, 4], [10, 7], seed=1), random_batch([5, 5, 3], [8, 8, 6], seed=2),
            random_batch([7], [12], seed=3)]


def _cfg(**kw):
    base = dict(lr=3e-3, warmup_steps=2, max_steps=7, log_every=2, image_every=3, save_every=3, device="cpu")
    return TrainConfig(**{**base, **kw})


def _supernet_trainer(exp_dir, init_seed=0, **kw):
    torch.manual_seed(init_seed)
    model = SuperNet(MODEL)
    return Trainer(model, _cfg(**kw), exp_dir, arch_sampler=ArchSampler(TTSSearchSpace(2, 2), seed=9))


def test_resume_continues_exactly(tmp_path):
    straight = _supernet_trainer(tmp_path / "a")
    straight.train(_data())
    first = _supernet_trainer(tmp_path / "b")
    first.train(_data(), max_steps=4)  # stops mid-epoch (epoch 1, batch 1)
    assert [p.name for p in list_checkpoints(tmp_path / "b" / "checkpoints")] == ["ckpt_00000003.pt", "ckpt_00000004.pt"]
    resumed = _supernet_trainer(tmp_path / "b", init_seed=123)  # different init: everything must come from the checkpoint
    assert resumed.resume() and resumed.step == 4 and resumed.epoch == 1 and resumed.batch_in_epoch == 1
    resumed.train(_data())
    assert resumed.step == straight.step == 7
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    sa, sb = straight.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k]["exp_avg"], sb[k]["exp_avg"]) for k in sa)
    # the paths really changed from step to step, and training moved the weights
    assert len({ArchSampler(TTSSearchSpace(2, 2), seed=9)(s) for s in range(7)}) > 1
    torch.manual_seed(0)
    init = SuperNet(MODEL).state_dict()
    assert any(not torch.equal(init[k], a[k]) for k in a)


def test_writes_config_logs_and_tensorboard_images(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    torch.manual_seed(0)
    trainer = Trainer(TTSModel(MODEL), _cfg(max_steps=3, log_every=1), tmp_path)
    result = trainer.train(_data())
    assert result["step"] == 3 and result["nonfinite_total"] == 0 and 0.0 <= result["tf_dfr"] <= 1.0
    assert (tmp_path / "config.yaml").is_file() and (tmp_path / "meta.json").is_file()
    assert len((tmp_path / "train_log.jsonl").read_text().splitlines()) == 3
    acc = EventAccumulator(str(tmp_path / "tensorboard"), size_guidance={"images": 0, "scalars": 0})
    acc.Reload()
    tags = acc.Tags()
    assert {"train/loss", "train/mel_l1", "train/stop_bce", "train/guided_attn", "train/lr", "train/tf_dfr"} <= set(tags["scalars"])
    assert {"train/attention", "train/mel"} <= set(tags["images"])
    losses = [e.value for e in acc.Scalars("train/loss")]
    assert len(losses) == 3 and all(v == v for v in losses)


def test_non_finite_steps_are_skipped_then_stop_the_run(tmp_path):
    torch.manual_seed(0)
    good = _data()
    bad = random_batch([6, 4], [10, 7], seed=5)
    bad["feats"][0, 2, 3] = float("nan")
    trainer = Trainer(TTSModel(MODEL), _cfg(max_steps=4, image_every=0, max_nonfinite_in_a_row=2), tmp_path / "a")
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.train_step(bad)
    assert trainer.nonfinite_total == 1 and trainer.step == 1
    assert all(torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())  # nothing moved
    result = trainer.train([good[0], bad, good[1]])
    assert result["nonfinite_total"] == 2 and trainer.nonfinite_in_a_row == 0
    stuck = Trainer(TTSModel(MODEL), _cfg(max_steps=10, image_every=0, max_nonfinite_in_a_row=2), tmp_path / "b")
    with pytest.raises(NonFiniteLossError, match="3 consecutive steps"):
        stuck.train([bad])


def test_a_non_finite_gradient_with_a_finite_loss_is_skipped_too(tmp_path):
    torch.manual_seed(0)
    trainer = Trainer(TTSModel(MODEL), _cfg(max_steps=4, image_every=0), tmp_path)
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    hook = trainer.model.proj.weight.register_hook(lambda g: torch.full_like(g, float("inf")))
    stats, _ = trainer.train_step(_data()[0])
    assert torch.isfinite(stats["loss"]) and not torch.isfinite(stats["grad_norm"])
    assert trainer.nonfinite_total == 1 and trainer.nonfinite_in_a_row == 1
    assert all(torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())
    assert all(p.grad is None for p in trainer.model.parameters())  # the bad gradient does not leak into the next step
    hook.remove()
    trainer.train_step(_data()[0])
    assert trainer.nonfinite_total == 1 and trainer.nonfinite_in_a_row == 0
    assert any(not torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())


def test_config_overrides_and_validation(tmp_path):
    cfg = load_config(TrainConfig, None, ["--loss.guided_attn_sigma", "0.3", "--lr", "1e-3", "--amp", "false"])
    assert cfg.loss.guided_attn_sigma == 0.3 and cfg.lr == 1e-3 and cfg.amp is False
    with pytest.raises(ConfigError, match="guided_attn_sigmaa"):
        load_config(TrainConfig, None, ["--loss.guided_attn_sigmaa", "0.3"])
    bad = _cfg()
    bad.loss.guided_attn_layers = [5]
    with pytest.raises(ValueError, match="guided_attn_layers"):
        Trainer(TTSModel(MODEL), bad, tmp_path)
    with pytest.raises(ValueError, match="no batches"):
        Trainer(TTSModel(MODEL), _cfg(), tmp_path / "e").train([])


def test_ddp_supernet_training_keeps_ranks_in_sync(tmp_path):
    worker = Path(__file__).with_name("ddp_train_worker.py")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--standalone", str(worker), str(tmp_path)],
        capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in (0, 1))
    assert r0["world"] == 2 and r0["result"]["step"] == 4
    assert all(torch.equal(r0["state"][k], r1["state"][k]) for k in r0["state"])
    assert len(list_checkpoints(tmp_path / "exp" / "checkpoints")) == 2


def test_epochs_reach_a_dataloaders_batch_sampler(tmp_path):
    batches = _data()

    class Sampler:  # like speechnas.data.BucketBatchSampler: reshuffles per epoch
        def __init__(self):
            self.epochs = []

        def set_epoch(self, epoch):
            self.epochs.append(epoch)

        def __iter__(self):
            return iter([[0], [1], [2]])

        def __len__(self):
            return 3

    sampler = Sampler()
    loader = torch.utils.data.DataLoader(batches, batch_sampler=sampler, collate_fn=lambda items: items[0])
    torch.manual_seed(0)
    Trainer(TTSModel(MODEL), _cfg(max_steps=7, image_every=0), tmp_path).train(loader)
    assert sampler.epochs == [0, 1, 2]
