"""Stage 3: the NAS core's report (:mod:`speechnas.nas.report`: JSON, mean +- std table at each budget, paired
differences, PNG of the best-so-far curves) plus NAS-Bench-101's own columns.

For each run and budget B the found cell is the best by (single, sampled) validation accuracy among the first B
queries. Reported is the mean over repeats of its test accuracy (``report.metric: test_acc``), its regret
against ``report.reference`` (94.32, the best mean test accuracy in NAS-Bench-101), its rank among all cells of
the file by the same mean (1 = best) and the simulated training time of the B queries.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from speechnas.nas.nasbench101.experiment import ExperimentConfig, load_benchmark
from speechnas.nas.report import format_table, load_runs, plot_curves, summarize
from speechnas.utils.io import atomic_write_json, atomic_write_text

FIELD_OF_METRIC = {"test_acc": "test_accuracy", "valid_mean_acc": "validation_accuracy"}


def _found(queries: list[dict], budget: int) -> dict:
    """The best-by-search-metric query among the first ``budget``: the runner's ``best_so_far`` pointer (1-based)."""
    return queries[queries[min(budget, len(queries)) - 1]["best_so_far"] - 1]


def nasbench101_columns(runs: dict, summary: dict, bench, cfg: ExperimentConfig, reference: float) -> dict:
    """Per method and budget: regret (from the core summary's means), rank in the file and simulated hours."""
    field = FIELD_OF_METRIC[cfg.report.metric]
    out = {}
    for method, entry in summary["methods"].items():
        per_budget = {}
        for b in summary["budgets"]:
            rows = []
            for seed, run in sorted(runs[method].items()):
                best = _found(run["queries"], b)
                value = best["metrics"][cfg.report.metric]  # what the core summary averages
                cost = sum(q["cost"] for q in run["queries"][:b])
                rows.append({"seed": seed, "hash": best["key"], "cell": best["arch"], "value": value,
                             "regret": reference - value,
                             "rank": bench.rank_of(bench.row_of_hash(best["key"]), field, cfg.benchmark.epochs),
                             "simulated_hours": cost / 3600.0})
            at = entry["at"][str(b)]
            per_budget[str(b)] = {"regret_mean": reference - at["mean"], "regret_std": at["std"],
                                  "rank_median": float(np.median([r["rank"] for r in rows])),
                                  "rank_best": int(min(r["rank"] for r in rows)),
                                  "simulated_hours_mean": float(np.mean([r["simulated_hours"] for r in rows])),
                                  "per_seed": rows}
        out[method] = per_budget
    return out


def summarise(exp_dir: str | Path, cfg: ExperimentConfig) -> dict:
    if cfg.report.metric not in FIELD_OF_METRIC:
        raise ValueError(f"report.metric must be one of {sorted(FIELD_OF_METRIC)}, got {cfg.report.metric!r}")
    runs = load_runs(exp_dir)
    if not runs:
        raise FileNotFoundError(f"{exp_dir}: no finished runs (<method>/seed<k>/result.json); run stage 2 first")
    budgets = sorted({b for b in cfg.report.budgets if 0 < b < cfg.budget} | {cfg.budget})
    summary = summarize(runs, budgets, cfg.report.metric)
    bench = load_benchmark(cfg.benchmark)
    field = FIELD_OF_METRIC[cfg.report.metric]
    best_row, best = bench.best(field, cfg.benchmark.epochs)
    reference = cfg.report.reference if cfg.report.reference > 0 else 100.0 * best
    summary["nasbench101"] = {
        "benchmark": bench.summary(), "space_size": len(bench), "reference": reference,
        "reported": f"mean {field} over repeats at {cfg.benchmark.epochs} epochs of the best-by-validation cell",
        "best_in_file": {"hash": bench.hash_of(best_row), "value": 100.0 * best},
        "methods": nasbench101_columns(runs, summary, bench, cfg, reference),
    }
    return summary


def nasbench101_table(summary: dict) -> str:
    nb = summary["nasbench101"]
    lines = [f"NAS-Bench-101, {nb['space_size']:,} cells in {Path(nb['benchmark']['source']).name}: "
             f"{nb['reported']}",
             f"regret against {nb['reference']:.2f}; rank among all {nb['space_size']:,} cells (1 = best); "
             "simulated training time of the queries",
             f"{'method':<12} {'budget':>6}  {'regret (%)':>13}  {'median rank':>11}  {'best rank':>9}  {'sim. hours':>10}"]
    for method, per_budget in nb["methods"].items():
        for b, e in per_budget.items():
            lines.append(f"{method:<12} {b:>6}  {e['regret_mean']:>6.2f} ± {e['regret_std']:<4.2f}  "
                         f"{e['rank_median']:>11.0f}  {e['rank_best']:>9d}  {e['simulated_hours_mean']:>10.1f}")
    return "\n".join(lines) + "\n"


def write_report(exp_dir: str | Path, cfg: ExperimentConfig) -> dict:
    """Write ``report.json``, ``report.txt`` and ``report.png`` into ``exp_dir``; returns the summary."""
    exp_dir = Path(exp_dir)
    summary = summarise(exp_dir, cfg)
    atomic_write_json(exp_dir / "report.json", summary)
    atomic_write_text(exp_dir / "report.txt", format_table(summary) + "\n" + nasbench101_table(summary))
    plot_curves(summary, exp_dir / "report.png")
    return summary
