"""Aggregate many runs (``<exp_dir>/<method>/seed<k>/``) into a report: JSON, a text table and a PNG.

For each method and budget B: the report metric (e.g. test accuracy) of the best-by-search-metric
architecture among the first B queries, as mean +- std over seeds; wall seconds per run; paired
differences between methods that share seeds (same seed = same initial random architectures); and how the
first B queries came about (mean count per run of each origin, and the share of the architectures queried after
the initial batch that gradient ascent found at a step eta > 0). Methods appear in registry order.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from speechnas.nas.budget import best_so_far_indices
from speechnas.nas.methods import METHODS
from speechnas.utils.io import atomic_write_json, atomic_write_text, atomic_write_with

log = logging.getLogger(__name__)

METHOD_ORDER = tuple(METHODS)


def load_runs(exp_dir: str | Path) -> dict[str, dict[int, dict]]:
    """``{method: {seed: {"result": result.json, "queries": [records]}}}`` of the finished runs under ``exp_dir``."""
    runs: dict[str, dict[int, dict]] = {}
    for res_path in sorted(Path(exp_dir).glob("*/seed*/result.json")):
        try:
            result = json.loads(res_path.read_text())
        except ValueError as e:
            raise ValueError(f"{res_path}: not valid JSON ({e})") from None
        if not result.get("finished"):
            log.warning("skipping unfinished run %s", res_path.parent)
            continue
        queries = [json.loads(line) for line in (res_path.parent / "queries.jsonl").read_text().splitlines() if line]
        runs.setdefault(result["method"], {})[int(result["seed"])] = {"result": result, "queries": queries,
                                                                      "dir": str(res_path.parent)}
    return runs


def best_curve(queries: list[dict], search_metric: str, report_metric: str) -> np.ndarray:
    """Report metric of the best-by-search-metric query after each query (earliest wins ties)."""
    best = best_so_far_indices([q["metrics"][search_metric] for q in queries])
    return np.asarray([queries[i]["metrics"][report_metric] for i in best], dtype=np.float64)


def at_budget(curve: np.ndarray, b: int, run: dict) -> float:
    """The curve's value after ``b`` queries; ValueError when ``b`` is above the run's budget (a run that stopped
    early because every architecture was queried keeps its last value)."""
    res = run["result"]
    if b < 1:
        raise ValueError(f"report budgets must be positive numbers of queries, got {b}")
    if b > res["budget"]:
        where = run.get("dir") or f"{res['method']}/seed{res['seed']}"
        raise ValueError(f"budget {b} is above the {res['budget']}-query budget of the run {where}; "
                         f"report budgets up to {res['budget']} or rerun the searches with a larger budget")
    return float(curve[min(b, len(curve)) - 1])


def origin_counts(queries: list[dict], b: int) -> dict[str, int]:
    """How many of the first ``b`` queries came about each way (``origin.how``; ``unknown`` for older runs)."""
    counts: dict[str, int] = {}
    for q in queries[:b]:
        how = (q.get("origin") or {}).get("how", "unknown")
        counts[how] = counts.get(how, 0) + 1
    return counts


def ascent_share(counts: dict[str, int]) -> float | None:
    """Share of the architectures queried after the initial batch that ascent found at eta > 0 (None: no such)."""
    new = sum(v for k, v in counts.items() if k != "initial")
    return counts.get("ascent", 0) / new if new else None


def summarize(runs: dict[str, dict[int, dict]], budgets: Sequence[int], report_metric: str) -> dict:
    methods = sorted(runs, key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER), m))
    summary: dict = {"report_metric": report_metric, "budgets": list(budgets), "methods": {}, "paired": {}}
    curves: dict[str, dict[int, np.ndarray]] = {}
    for m in methods:
        any_run = next(iter(runs[m].values()))
        search_metric = any_run["result"]["search_metric"]
        curves[m] = {s: best_curve(r["queries"], search_metric, report_metric) for s, r in runs[m].items()}
        walls = [r["result"]["wall_s"] for r in runs[m].values()]
        entry = {"runs": len(runs[m]), "search_metric": search_metric, "wall_s_mean": float(np.mean(walls)),
                 "wall_s_median": float(np.median(walls)), "wall_s_max": float(np.max(walls)), "at": {},
                 "stopped_early": sum(len(r["queries"]) < r["result"]["budget"] for r in runs[m].values()),
                 "origins": {}}
        for b in budgets:
            vals = np.array([at_budget(c, b, runs[m][s]) for s, c in curves[m].items()])
            entry["at"][str(b)] = {"mean": float(vals.mean()), "std": float(vals.std(ddof=1)) if len(vals) > 1 else 0.0,
                                   "median": float(np.median(vals)), "min": float(vals.min()), "max": float(vals.max())}
            per_run = [origin_counts(r["queries"], b) for r in runs[m].values()]
            kinds = sorted({k for c in per_run for k in c})
            total = {k: sum(c.get(k, 0) for c in per_run) for k in kinds}
            entry["origins"][str(b)] = {"mean_count": {k: total[k] / len(per_run) for k in kinds},
                                        "ascent_share": ascent_share(total)}
        length = max(len(c) for c in curves[m].values())
        padded = np.array([np.pad(c, (0, length - len(c)), mode="edge") for c in curves[m].values()])
        entry["curve_mean"] = [round(float(v), 4) for v in padded.mean(axis=0)]
        summary["methods"][m] = entry
    for i, a in enumerate(methods):
        for b_ in methods[i + 1:]:
            common = sorted(set(curves[a]) & set(curves[b_]))
            if len(common) < 2:
                continue
            pair = {}
            for b in budgets:
                d = np.array([at_budget(curves[a][s], b, runs[a][s]) - at_budget(curves[b_][s], b, runs[b_][s])
                              for s in common])
                pair[str(b)] = {"mean": float(d.mean()), "stderr": float(d.std(ddof=1) / np.sqrt(len(d))), "seeds": len(d)}
            summary["paired"][f"{a} - {b_}"] = pair
    return summary


def format_table(summary: dict) -> str:
    budgets = summary["budgets"]
    head = f"{'method':<12} {'runs':>4}  " + "  ".join(f"{'B=' + str(b):>13}" for b in budgets) + "   s/run (mean / median / max)"
    lines = [f"{summary['report_metric']} of the best-by-search-metric architecture (mean ± std over seeds)", head, "-" * len(head)]
    for m, e in summary["methods"].items():
        cells = "  ".join(f"{e['at'][str(b)]['mean']:>6.2f} ± {e['at'][str(b)]['std']:<4.2f}" for b in budgets)
        lines.append(f"{m:<12} {e['runs']:>4}  {cells}   {e['wall_s_mean']:.1f} / {e['wall_s_median']:.1f} / {e['wall_s_max']:.1f}")
    if summary["paired"]:
        lines += ["", "paired differences over common seeds (mean ± standard error)"]
        for name, pair in summary["paired"].items():
            cells = "  ".join(f"{pair[str(b)]['mean']:>+6.2f} ± {pair[str(b)]['stderr']:<4.2f}" for b in budgets)
            lines.append(f"{name:<30} {cells}")
    lines += ["", "how the queries came about (mean per run; ascent share = found by ascent at eta > 0 among those "
                  "queried after the initial batch)"]
    for m, e in summary["methods"].items():
        for b in budgets:
            o = e["origins"][str(b)]
            counts = ", ".join(f"{k} {v:.1f}" for k, v in o["mean_count"].items())
            share = "" if o["ascent_share"] is None else f"; ascent share {100 * o['ascent_share']:.0f}%"
            lines.append(f"{m:<14} B={b:<5} {counts}{share}")
        if e["stopped_early"]:
            lines.append(f"{m:<14} {e['stopped_early']} run(s) ended before their budget (nothing new to query)")
    return "\n".join(lines) + "\n"


def plot_curves(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for m, e in summary["methods"].items():
        y = np.asarray(e["curve_mean"])
        ax.plot(np.arange(1, len(y) + 1), y, label=f"{m} ({e['runs']} runs)")
    for b in summary["budgets"]:
        ax.axvline(b, color="grey", lw=0.5, ls=":")
    lows = [np.asarray(e["curve_mean"])[min(len(e["curve_mean"]), 20) - 1] for e in summary["methods"].values()]
    highs = [max(e["curve_mean"]) for e in summary["methods"].values()]
    ax.set_ylim(min(lows) - 0.1, max(highs) + 0.1)
    ax.set_xlabel("queries (unique architectures evaluated)")
    ax.set_ylabel(f"mean {summary['report_metric']} of best-by-search-metric")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    atomic_write_with(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)


def write_report(exp_dir: str | Path, out_dir: str | Path, budgets: Sequence[int], report_metric: str = "test_acc") -> dict:
    """Write ``report.json``, ``report.txt`` and ``report.png`` under ``out_dir``; returns the summary."""
    runs = load_runs(exp_dir)
    if not runs:
        raise FileNotFoundError(f"no finished runs under {exp_dir} (expected <method>/seed<k>/result.json)")
    summary = summarize(runs, budgets, report_metric)
    out = Path(out_dir)
    atomic_write_json(out / "report.json", summary)
    atomic_write_text(out / "report.txt", format_table(summary))
    plot_curves(summary, out / "report.png")
    return summary
