"""TTS architectures: one op token per encoder and decoder layer, their readable form, and the search space.

Tokens follow the official SemiNAS numbering: 1..7 = convolution with kernel 1, 5, 9, 13, 17, 21, 25;
8/9/10 = Transformer layer with 2/4/8 heads; 11 = LSTM. With 6 + 6 layers an architecture is 12 tokens, e.g.
``enc: conv13 conv9 tf8 tf8 lstm conv21 | dec: tf4 conv5 conv13 lstm conv21 conv5``.
The space lives here (not in ``speechnas.nas``) because the TTS stack depends on the NAS core, never the reverse.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

OP_NAMES: tuple[str, ...] = (
    "conv1", "conv5", "conv9", "conv13", "conv17", "conv21", "conv25", "tf2", "tf4", "tf8", "lstm",
)
NUM_OPS = len(OP_NAMES)
_TOKEN_OF = {name: i + 1 for i, name in enumerate(OP_NAMES)}


def op_name(token: int) -> str:
    """Readable name of op token ``token`` (1-based)."""
    if not 1 <= token <= NUM_OPS:
        raise ValueError(f"op token {token} is outside 1..{NUM_OPS}")
    return OP_NAMES[token - 1]


def op_token(name: str) -> int:
    """Token (1-based) of the readable op name ``name``."""
    try:
        return _TOKEN_OF[name]
    except KeyError:
        raise ValueError(f"unknown op '{name}'; valid ops: {' '.join(OP_NAMES)}") from None


def op_kind(token: int) -> tuple[str, int]:
    """``("conv", kernel)``, ``("tf", heads)`` or ``("lstm", 0)`` for an op token."""
    name = op_name(token)
    if name == "lstm":
        return "lstm", 0
    kind = "conv" if name.startswith("conv") else "tf"
    return kind, int(name[len(kind):])


@dataclass(frozen=True)
class TTSArch:
    """Op tokens of the encoder layers and of the decoder layers (immutable, hashable)."""

    encoder: tuple[int, ...]
    decoder: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoder", tuple(int(t) for t in self.encoder))
        object.__setattr__(self, "decoder", tuple(int(t) for t in self.decoder))
        for part, toks in (("encoder", self.encoder), ("decoder", self.decoder)):
            if not toks:
                raise ValueError(f"architecture has no {part} layers")
            for i, t in enumerate(toks):
                if not 1 <= t <= NUM_OPS:
                    raise ValueError(f"{part} layer {i}: op token {t} is outside 1..{NUM_OPS}")

    @property
    def tokens(self) -> list[int]:
        return list(self.encoder) + list(self.decoder)

    def __str__(self) -> str:
        return to_str(self)


def to_str(arch: TTSArch) -> str:
    """``enc: conv13 conv9 ... | dec: tf4 conv5 ...``."""
    enc = " ".join(op_name(t) for t in arch.encoder)
    dec = " ".join(op_name(t) for t in arch.decoder)
    return f"enc: {enc} | dec: {dec}"


_READABLE = re.compile(r"^\s*enc\s*:(?P<enc>[^|]*)\|\s*dec\s*:(?P<dec>.*)$")


def from_str(text: str, encoder_layers: int | None = None) -> TTSArch:
    """Parse the readable form, or plain integer tokens (``"10 10 4 3 6 3 9 2 4 2 11 6"``; split in half
    unless ``encoder_layers`` says where the encoder ends)."""
    m = _READABLE.match(text)
    if m:
        enc = [op_token(n) for n in m.group("enc").split()]
        dec = [op_token(n) for n in m.group("dec").split()]
        return TTSArch(tuple(enc), tuple(dec))
    parts = text.replace(",", " ").split()
    if not parts or not all(p.isdigit() for p in parts):
        raise ValueError(f"cannot parse architecture {text!r}: expected 'enc: <ops> | dec: <ops>' or integer tokens")
    toks = [int(p) for p in parts]
    n_enc = len(toks) // 2 if encoder_layers is None else encoder_layers
    if not 0 < n_enc < len(toks):
        raise ValueError(f"cannot split {len(toks)} tokens into {n_enc} encoder layers and the rest in {text!r}")
    return TTSArch(tuple(toks[:n_enc]), tuple(toks[n_enc:]))


@dataclass(frozen=True)
class TTSSearchSpace:
    """The SemiNAS TTS space: every layer independently picks one of the 11 ops (11^12 archs for 6 + 6).

    Implements :class:`speechnas.nas.space.SearchSpace`; token ids are the op tokens 1..11 (0 is the
    controller's start symbol).
    """

    encoder_layers: int = 6
    decoder_layers: int = 6
    name: str = "tts"

    @property
    def seq_len(self) -> int:
        return self.encoder_layers + self.decoder_layers

    @property
    def vocab_size(self) -> int:
        return NUM_OPS + 1

    def size(self) -> int:
        return NUM_OPS ** self.seq_len

    def sample(self, rng: np.random.Generator) -> TTSArch:
        toks = rng.integers(1, NUM_OPS + 1, size=self.seq_len).tolist()
        return self._split(toks)

    def is_valid(self, arch: object) -> bool:
        return (isinstance(arch, TTSArch) and len(arch.encoder) == self.encoder_layers
                and len(arch.decoder) == self.decoder_layers)

    def key(self, arch: TTSArch) -> str:
        self._check(arch)
        return " ".join(str(t) for t in arch.tokens)

    def encode(self, arch: TTSArch) -> list[int]:
        self._check(arch)
        return arch.tokens

    def decode(self, tokens: Sequence[int]) -> TTSArch | None:
        toks = [int(t) for t in tokens]
        if len(toks) != self.seq_len or not all(1 <= t <= NUM_OPS for t in toks):
            return None
        return self._split(toks)

    def allowed_tokens(self, position: int, prefix: Sequence[int] = ()) -> list[int]:
        if not 0 <= position < self.seq_len:
            raise ValueError(f"position {position} is outside 0..{self.seq_len - 1}")
        return list(range(1, NUM_OPS + 1))

    def mutate(self, arch: TTSArch, rng: np.random.Generator) -> TTSArch:
        """Change the op of one uniformly chosen layer to a different op."""
        toks = self.encode(arch)
        pos = int(rng.integers(self.seq_len))
        new = int(rng.integers(1, NUM_OPS))  # 1..10, shifted past the current op
        toks[pos] = new if new < toks[pos] else new + 1
        return self._split(toks)

    def to_str(self, arch: TTSArch) -> str:
        self._check(arch)
        return to_str(arch)

    def from_str(self, text: str) -> TTSArch:
        arch = from_str(text, self.encoder_layers)
        self._check(arch)
        return arch

    def _split(self, toks: list[int]) -> TTSArch:
        return TTSArch(tuple(toks[: self.encoder_layers]), tuple(toks[self.encoder_layers:]))

    def _check(self, arch: object) -> None:
        if not self.is_valid(arch):
            raise ValueError(
                f"{arch!r} is not an architecture of this space "
                f"({self.encoder_layers} encoder + {self.decoder_layers} decoder layers)")
