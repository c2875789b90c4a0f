"""The search-space protocol: a plain Python object over hashable architectures (no nn.Module, no graph library)."""
from __future__ import annotations

from typing import Hashable, Protocol, Sequence, runtime_checkable

import numpy as np

Arch = Hashable  # an architecture is an immutable value (tuple or frozen dataclass)


@runtime_checkable
class SearchSpace(Protocol):
    """What a strategy and the controller need from a space.

    Token sequences have a fixed length :attr:`seq_len`; token ids lie in ``1..vocab_size-1`` (0 is reserved
    for the controller's start/padding symbol).

    Optional members the NAS core uses when present:

    - ``allowed_tokens_depend_on_prefix: bool`` (default False): when True, constrained decoding asks
      :meth:`allowed_tokens` with each sequence's prefix; otherwise it builds one ``[seq_len, vocab]`` mask.
    - ``size() -> int`` and ``enumerate() -> Iterator[Arch]`` for finite spaces: SemiNAS can then use every
      unqueried architecture as its unlabelled set (``unlabelled: -1``) and strategies stop cleanly when
      every key has been queried.
    """

    name: str
    seq_len: int
    vocab_size: int

    def sample(self, rng: np.random.Generator) -> Arch:
        """A uniformly random valid architecture."""

    def is_valid(self, arch: Arch) -> bool:
        """Whether ``arch`` is a legal member of the space."""

    def key(self, arch: Arch) -> str:
        """Canonical key: two encodings of the same network share it (used for dedup and budget)."""

    def encode(self, arch: Arch) -> list[int]:
        """Token sequence of length :attr:`seq_len`."""

    def decode(self, tokens: Sequence[int]) -> Arch | None:
        """Inverse of :meth:`encode`; ``None`` when the tokens do not describe a valid architecture."""

    def allowed_tokens(self, position: int, prefix: Sequence[int] = ()) -> list[int]:
        """Tokens allowed at ``position`` given the tokens decoded so far (for constrained decoding)."""

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A valid neighbour of ``arch`` that differs from it."""

    def to_str(self, arch: Arch) -> str:
        """Readable string form."""

    def from_str(self, text: str) -> Arch:
        """Inverse of :meth:`to_str`; raises ValueError naming the problem for malformed text."""
