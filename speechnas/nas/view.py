"""What a strategy may see: a read-only view of the run's queries and a space reduced to the search-space protocol.

A strategy learns from (architecture, search-metric) pairs only. :class:`SearchView` gives it those pairs, the keys
already queried, the remaining budget and a query function; :class:`SpaceView` gives it the protocol members of the
space (sample, encode, key, ...). Neither holds the :class:`~speechnas.nas.budget.Budget`, its evaluator, the query
history with report-only metrics (``test_acc``) or a benchmark table in an attribute: they keep plain closures over
them in ``__slots__``. (Python cannot stop code that digs through closure cells or the garbage collector; these
views remove every ordinary path, and ``tests/nas/test_view.py`` checks that no attribute chain leads there.)
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from speechnas.nas.space import Arch

# the members of the SearchSpace protocol a strategy may use (plus the optional ones of finite spaces)
SPACE_ATTRIBUTES = ("name", "seq_len", "vocab_size", "allowed_tokens_depend_on_prefix")
SPACE_METHODS = ("sample", "is_valid", "key", "encode", "decode", "allowed_tokens", "mutate", "to_str", "from_str")
FINITE_SPACE_METHODS = ("size", "enumerate")


class SearchView:
    """A strategy's access to the run: labelled pairs of the search metric, seen keys, budget left, and query.

    ``query(archs, origins)`` returns the search metric of each architecture (new ones cost one query each; the
    budget may cut the batch and raise :class:`~speechnas.nas.budget.BudgetExhausted`). ``origins`` (one dict per
    architecture, e.g. ``{"how": "ascent", "eta": 2.0}``) records how each came about, for ``result.json``.
    """

    __slots__ = ("search_metric", "_query", "_labelled", "_seen_key", "_counts")

    def __init__(self, search_metric: str, query: Callable, labelled: Callable, seen_key: Callable, counts: Callable):
        object.__setattr__(self, "search_metric", search_metric)
        object.__setattr__(self, "_query", query)
        object.__setattr__(self, "_labelled", labelled)
        object.__setattr__(self, "_seen_key", seen_key)
        object.__setattr__(self, "_counts", counts)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a SearchView is read-only (tried to set {name!r})")

    def query(self, archs: Sequence[Arch], origins: Sequence[dict] | None = None) -> list[float]:
        return self._query(archs, origins)

    def labelled(self) -> tuple[list[Arch], list[float]]:
        """Every queried architecture and its search-metric value, in query order."""
        return self._labelled()

    def seen_key(self, key: str) -> bool:
        return self._seen_key(key)

    @property
    def used(self) -> int:
        return self._counts()[0]

    @property
    def remaining(self) -> int:
        return self._counts()[1]

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0


class SpaceView:
    """The search-space protocol of ``space`` and nothing else (no benchmark table, caches or other attributes).

    Members are forwarded through closures; ``size``/``enumerate`` exist only when the space has them, so
    ``hasattr(view, "enumerate")`` still tells a finite space apart.
    """

    __slots__ = SPACE_ATTRIBUTES + tuple(f"_{m}" for m in SPACE_METHODS + FINITE_SPACE_METHODS)

    def __init__(self, space: Any):
        if isinstance(space, SpaceView):
            raise TypeError("space is already a SpaceView")
        for name in SPACE_ATTRIBUTES:
            object.__setattr__(self, name, getattr(space, name, False if name.startswith("allowed") else None))
        for name in SPACE_METHODS + FINITE_SPACE_METHODS:
            if hasattr(space, name):
                object.__setattr__(self, f"_{name}", _forward(space, name))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a SpaceView is read-only (tried to set {name!r})")

    def __getattr__(self, name: str):  # only reached for names not in __slots__ (or unset ones)
        slot = f"_{name}"
        if name in SPACE_METHODS + FINITE_SPACE_METHODS:
            try:
                return object.__getattribute__(self, slot)
            except AttributeError:
                pass
        raise AttributeError(f"a strategy's view of the space has no {name!r} (only the search-space protocol: "
                             f"{', '.join(SPACE_METHODS + FINITE_SPACE_METHODS)})")

    def __repr__(self) -> str:
        return f"SpaceView({self.name})"

    # pickling (spawned workers never pickle a strategy, but keep it explicit): refuse rather than leak
    def __reduce__(self):
        raise TypeError("a SpaceView cannot be pickled")


def _forward(space: Any, name: str) -> Callable:
    method = getattr(space, name)

    def call(*args, **kwargs):
        return method(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = method.__doc__
    return call


def space_view(space: Any) -> SpaceView:
    """``space`` reduced to the protocol (a view is returned as it is)."""
    return space if isinstance(space, SpaceView) else SpaceView(space)
