"""The weight-sharing supernet: every layer holds all 11 candidate ops; a pass runs only the chosen path.

Shared with every path: embedding, positional scales, pre-net, final LayerNorms, projection (and post-net).
Single-path training samples one architecture per step, uniformly or from a pool (:class:`ArchSampler`);
:meth:`SuperNet.standalone` builds the standalone model of one path with the supernet's weights.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from torch import nn

from speechnas.tts.model.arch import NUM_OPS, TTSArch, TTSSearchSpace
from speechnas.tts.model.backbone import TTSBackbone, TTSModel, TTSModelConfig
from speechnas.tts.model.ops import make_decoder_op, make_encoder_op


class SuperNet(TTSBackbone):
    """``forward(batch, arch)`` / ``encode(..., arch)`` / ``decode(..., arch)`` run the path ``arch``."""

    def __init__(self, cfg: TTSModelConfig):
        super().__init__(cfg)
        kw = dict(dim=cfg.hidden_size, dropout=cfg.dropout, attention_dropout=cfg.attention_dropout)
        self.encoder = nn.ModuleList(
            nn.ModuleList(make_encoder_op(t, **kw) for t in range(1, NUM_OPS + 1)) for _ in range(cfg.encoder_layers))
        self.decoder = nn.ModuleList(
            nn.ModuleList(make_decoder_op(t, cross_heads=cfg.cross_heads, **kw) for t in range(1, NUM_OPS + 1))
            for _ in range(cfg.decoder_layers))

    @property
    def space(self) -> TTSSearchSpace:
        return TTSSearchSpace(self.cfg.encoder_layers, self.cfg.decoder_layers)

    def _check(self, arch: TTSArch | None) -> TTSArch:
        if arch is None:
            raise ValueError("the supernet needs an architecture for every pass (arch=None was given)")
        if not self.space.is_valid(arch):
            raise ValueError(f"'{arch}' does not fit a supernet of {self.cfg.encoder_layers}+{self.cfg.decoder_layers} layers")
        return arch

    def encoder_op(self, index: int, arch: TTSArch | None) -> nn.Module:
        return self.encoder[index][self._check(arch).encoder[index] - 1]

    def decoder_op(self, index: int, arch: TTSArch | None) -> nn.Module:
        return self.decoder[index][self._check(arch).decoder[index] - 1]

    def path_state_dict(self, arch: TTSArch) -> dict:
        """The state dict of path ``arch`` with the keys of a standalone :class:`TTSModel`."""
        self._check(arch)
        out = {}
        for key, value in self.state_dict().items():
            parts = key.split(".")
            if parts[0] in ("encoder", "decoder"):
                layer, op = int(parts[1]), int(parts[2])
                chosen = (arch.encoder if parts[0] == "encoder" else arch.decoder)[layer] - 1
                if op != chosen:
                    continue
                key = ".".join(parts[:2] + parts[3:])
            out[key] = value
        return out

    def standalone(self, arch: TTSArch) -> TTSModel:
        """A standalone model of ``arch`` initialised from this supernet's weights for that path."""
        model = TTSModel(self.cfg, arch)
        model.load_state_dict(self.path_state_dict(arch))
        return model.to(next(self.parameters()).device)


class ArchSampler:
    """Architecture for each training step: uniform over the space, or uniform over a pool.

    The choice depends only on ``(seed, step)``, so every DDP rank draws the same path and a resumed run
    continues with exactly the paths it would have drawn.
    """

    def __init__(self, space: TTSSearchSpace, pool: Sequence[TTSArch] | None = None, seed: int = 0):
        self.space, self.seed = space, seed
        self.pool = list(pool) if pool else None
        for arch in self.pool or ():
            if not space.is_valid(arch):
                raise ValueError(f"pool architecture '{arch}' does not fit the space")

    def __call__(self, step: int) -> TTSArch:
        rng = np.random.default_rng([self.seed, step])
        if self.pool:
            return self.pool[int(rng.integers(len(self.pool)))]
        return self.space.sample(rng)
