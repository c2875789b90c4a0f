"""Readable outputs of one search run: ``queries.jsonl`` (one line per query, with its origin), ``result.json``
(best architecture, config, how many queries came about each way) and ``best_so_far.png``."""
from __future__ import annotations

import json
from pathlib import Path

from speechnas.nas.budget import Budget, Query, best_so_far_indices
from speechnas.nas.space import SearchSpace
from speechnas.utils.io import atomic_open, atomic_write_json, atomic_write_with


def query_record(space: SearchSpace, q: Query, best: Query) -> dict:
    return {"query": q.index + 1, "arch": space.to_str(q.arch), "key": q.key, "iteration": q.iteration,
            "cost": q.cost, "metrics": q.metrics, "best_so_far": best.index + 1, "origin": q.origin}


def best_so_far(budget: Budget) -> list[Query]:
    """The best query by the search metric after each query (earliest wins ties)."""
    values = [q.metrics[budget.search_metric] for q in budget.history]
    return [budget.history[i] for i in best_so_far_indices(values)]


def write_results(out_dir: Path, space: SearchSpace, budget: Budget, meta: dict, wall_s: float, final: bool,
                  plot: bool = True) -> None:
    """Write ``queries.jsonl`` and ``result.json`` (and ``best_so_far.png`` when ``plot``) atomically."""
    out_dir = Path(out_dir)
    bests = best_so_far(budget)
    with atomic_open(out_dir / "queries.jsonl") as f:
        for q, b in zip(budget.history, bests):
            f.write(json.dumps(query_record(space, q, b)) + "\n")
    best = bests[-1] if bests else None
    atomic_write_json(out_dir / "result.json", {
        "method": meta["method"], "seed": meta["seed"], "budget": meta["budget"], "config": meta["config"], "finished": final,
        "queries": budget.used, "search_metric": budget.search_metric, "total_cost": budget.total_cost,
        "wall_s": round(wall_s, 3),
        # how the queried architectures came about (origin "how" of each query: initial, ascent, seed_decoding,
        # random_fill, mutation, random)
        "origins": budget.origin_counts(),
        "best": None if best is None else {"query": best.index + 1, "arch": space.to_str(best.arch), "key": best.key,
                                           "metrics": best.metrics},
    })
    if plot and bests:
        _plot(out_dir / "best_so_far.png", budget, bests, f"{meta['method']} seed {meta['seed']}")


def _plot(path: Path, budget: Budget, bests: list[Query], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = list(range(1, len(bests) + 1))
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in bests[-1].metrics:
        style = "-" if name == budget.search_metric else "--"
        label = f"{name} (search metric)" if name == budget.search_metric else f"{name} of the best-by-{budget.search_metric}"
        ax.plot(x, [b.metrics[name] for b in bests], style, label=label)
    ax.set_xlabel("queries")
    ax.set_ylabel("metric of the best architecture so far")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write_with(path, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)
