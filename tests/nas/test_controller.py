"""Controller: constrained decoding, fitting a labelled set, gradient ascent that raises the prediction."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from speechnas.nas.controller import Controller, ControllerConfig
from speechnas.nas.controller_train import (AscentConfig, TrainConfig, allowed_mask, ascent_candidates, predict,
                                            tokens_of, train_controller)
from speechnas.nas.spaces.nasbench201 import NasBench201Space
from speechnas.nas.spaces.toy import ToySpace


class NoRepeatSpace(ToySpace):
    """Prefix-dependent constraint: a value may not repeat the previous one."""

    allowed_tokens_depend_on_prefix = True

    def allowed_tokens(self, position, prefix=()):
        prev = prefix[position - 1] if position > 0 else None
        return [v for v in self.choices[position] if v != prev]


def synthetic_score(cell) -> float:
    """A smooth NAS-Bench-201-like target: convolutions help, 'none' hurts, the 0->3 edge matters most."""
    w = {"none": -1.0, "skip_connect": 0.2, "nor_conv_1x1": 0.6, "nor_conv_3x3": 1.0, "avg_pool_3x3": -0.3}
    return sum(w[op] * (2.0 if e == 3 else 1.0) for e, op in enumerate(cell))


def test_constrained_decoding_emits_only_allowed_tokens():
    torch.manual_seed(0)
    for space in (ToySpace([(1, 2), (3, 5, 7), (2,), (1, 4, 6)]), NoRepeatSpace([(1, 2, 3)] * 5)):
        model = Controller(space.vocab_size, space.seq_len, ControllerConfig(hidden_size=8)).eval()
        emb = torch.nn.functional.normalize(torch.randn(300, space.seq_len, 8), dim=-1)
        tokens = model.greedy_decode(emb, model.pool(emb), allowed_mask(space)).tolist()
        for row in tokens:
            assert all(t in space.allowed_tokens(i, row[:i]) for i, t in enumerate(row))
            assert space.decode(row) is not None
        # unconstrained, a random model does emit tokens that are not allowed (so the mask is doing the work)
        free = model.greedy_decode(emb, model.pool(emb), torch.ones(space.seq_len, space.vocab_size, dtype=torch.bool))
        assert any(t not in space.allowed_tokens(i, r[:i]) for r in free.tolist() for i, t in enumerate(r))


@pytest.fixture(scope="module")
def fitted():
    """A controller trained on 60 random NAS-Bench-201 cells with a synthetic score."""
    torch.manual_seed(0)
    n = 60
    space, rng = NasBench201Space(), np.random.default_rng(0)
    archs = list({a: None for a in (space.sample(rng) for _ in range(n))})
    y = np.array([synthetic_score(a) for a in archs])
    model = Controller(space.vocab_size, space.seq_len, ControllerConfig(hidden_size=16))
    x = tokens_of(space, archs)
    z = torch.tensor((y - y.mean()) / y.std(), dtype=torch.float32)
    train_controller(model, x, z, 300, TrainConfig(lr=5e-3))
    return space, model, archs, x, y


def test_controller_fits_a_small_labelled_set_and_reconstructs_it(fitted):
    space, model, archs, x, y = fitted
    pred = predict(model, x).numpy()
    assert spearmanr(pred, y).correlation > 0.9
    out, emb = model.encode(x)
    recon = model.greedy_decode(out, emb, allowed_mask(space))
    assert (recon == x).all(dim=1).float().mean() > 0.8


def test_gradient_ascent_raises_the_predicted_score(fitted):
    space, model, archs, x, y = fitted
    pred = predict(model, x)
    seeds = x[torch.argsort(pred)[:20]]  # the worst-predicted cells
    base = pred.sort().values[:20].mean().item()
    means = []
    for eta, tokens in ascent_candidates(model, seeds, allowed_mask(space), AscentConfig(1.0, 1.0, 6.0)):
        assert tokens.shape == seeds.shape
        means.append(predict(model, tokens).mean().item())
    assert max(means) > base + 0.5
    assert means[-1] > means[0]  # larger steps move further up
