"""Why does a predictor-driven search find (or miss) the best cell? Per iteration of SemiNAS / NAO /
SemiNAS(RE) on NAS-Bench-201: Spearman correlation of the predictor with the true validation accuracy (all
cells, and cells above 85%), the rank of the best-by-validation cell among the unqueried ones, and the best
validation accuracy found so far. Prints a table, writes diagnostics.json and spearman.png.

    .venv/bin/python benchmarks/nas/nb201_predictor_diagnostics.py --methods seminas,nao --seeds 0:3 \\
        --out-dir recipes/nasbench201/exp/diagnostics
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from speechnas.bin.nas_search import parse_seeds
from speechnas.nas.run import run_search

from speechnas.utils.io import atomic_write_json, atomic_write_with

from nb201_args import nb201_parser, nb201_setup  # noqa: E402 (sibling script module)


def main() -> int:
    p = nb201_parser(__doc__, "seminas,nao")
    p.add_argument("--out-dir", required=True)
    args, cfg, space, evaluator = nb201_setup(p)
    cells = evaluator.archs()
    truth = np.array([evaluator.metric(c) for c in cells])
    best_cell = cells[int(truth.argmax())]
    good = truth > 85.0
    rows = []

    for method in args.methods.split(","):
        for seed in parse_seeds(args.seeds):
            def hook(it, strategy, budget, method=method, seed=seed):
                if not hasattr(strategy, "predict") or getattr(strategy, "predictor", None) is None or strategy.predictor.fits == 0:
                    return
                pred = strategy.predict(cells)
                seen = np.array([budget.seen(c) for c in cells])
                order = np.argsort(-np.where(seen, -np.inf, pred), kind="stable")
                rank = -1 if budget.seen(best_cell) else int(np.flatnonzero([cells[i] == best_cell for i in order])[0])
                rows.append({"method": method, "seed": seed, "iteration": it, "queries": budget.used,
                             "spearman": float(spearmanr(pred, truth).correlation),
                             "spearman_above_85": float(spearmanr(pred[good], truth[good]).correlation),
                             "best_cell_rank_unqueried": rank, "best_valid_so_far": budget.best().metrics["valid_acc"]})
                r = rows[-1]
                print(f"{method:<10} seed {seed:<3} q {r['queries']:>3}  spearman {r['spearman']:.3f} "
                      f"(>85%: {r['spearman_above_85']:.3f})  best-cell rank {rank:>5}  best valid {r['best_valid_so_far']:.2f}",
                      flush=True)
            run_search(space, evaluator, method, getattr(cfg, method), cfg.budget, seed, None, hook=hook)

    out = Path(args.out_dir)
    atomic_write_json(out / "diagnostics.json", rows)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for method in args.methods.split(","):
        pts = [(r["queries"], r["spearman"]) for r in rows if r["method"] == method]
        if pts:
            q = sorted({x for x, _ in pts})
            ax.plot(q, [np.mean([s for x, s in pts if x == v]) for v in q], marker="o", label=method)
    ax.set_xlabel("queries")
    ax.set_ylabel("Spearman(predicted, true valid acc), all cells")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    atomic_write_with(out / "spearman.png", lambda f: fig.savefig(f, format="png", dpi=100))
    summary = {m: float(np.mean([r["spearman"] for r in rows if r["method"] == m])) for m in args.methods.split(",")}
    print("mean Spearman over iterations and seeds:", json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
