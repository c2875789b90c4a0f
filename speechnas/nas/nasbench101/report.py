"""Stage 3: one table, JSON and plot over all runs of an experiment directory, like the NAS-Bench-201 recipe.

Per run: the best cell by the (sampled, single-repeat) validation accuracy among its queries; reported is the
mean over repeats of ``report.field`` (test accuracy by default) for that cell, its regret against
``report.reference`` (94.32, the best mean test accuracy of NAS-Bench-101) and its rank in the whole benchmark
(1 = best). Per method: mean +- std over seeds, best-so-far curves averaged over seeds.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from speechnas.nas.nasbench101.experiment import ExperimentConfig, load_benchmark
from speechnas.utils.io import atomic_write_json, atomic_write_text, atomic_write_with

_ORDER = ("seminas", "nao", "seminas_re", "re", "random")


def _run_curve(queries_path: Path, bench, reported: np.ndarray) -> tuple[list[float], float]:
    """Reported value (percent) of the best-by-validation cell after each query, and the simulated time (s)."""
    curve, best_valid, best_val, time = [], -np.inf, np.nan, 0.0
    with open(queries_path, encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            time += q["cost"]
            if q["metrics"]["valid_acc"] > best_valid:
                best_valid = q["metrics"]["valid_acc"]
                best_val = 100.0 * reported[bench.row_of_hash(q["key"])]
            curve.append(best_val)
    return curve, time


def summarise(exp_dir: str | Path, cfg: ExperimentConfig) -> dict:
    exp_dir = Path(exp_dir)
    bench = load_benchmark(cfg.benchmark)
    field, epochs = cfg.report.field, cfg.benchmark.epochs
    reported = bench.mean(field, epochs)
    best_row, best_in_file = bench.best(field, epochs)
    reference = cfg.report.reference if cfg.report.reference > 0 else 100.0 * best_in_file
    methods = {}
    found = sorted({p.parent.parent.name for p in exp_dir.glob("*/seed*/queries.jsonl")},
                   key=lambda m: (_ORDER.index(m) if m in _ORDER else len(_ORDER), m))
    for method in found:
        runs = []
        for run_dir in sorted(exp_dir.glob(f"{method}/seed*"), key=lambda p: int(p.name[4:])):
            result_path = run_dir / "result.json"
            if not result_path.is_file() or not (run_dir / "queries.jsonl").is_file():
                continue
            result = json.loads(result_path.read_text())
            curve, time = _run_curve(run_dir / "queries.jsonl", bench, reported)
            row = bench.row_of_hash(result["best"]["key"])
            value = 100.0 * float(reported[row])
            runs.append({"seed": result["seed"], "finished": result["finished"], "queries": result["queries"],
                         "best_hash": result["best"]["key"], "best_cell": result["best"]["arch"],
                         "best_valid_acc": result["best"]["metrics"]["valid_acc"], "reported": value,
                         "regret": reference - value,
                         "rank": bench.rank_of(row, field, epochs) if np.isfinite(value) else None,
                         "simulated_hours": time / 3600.0, "wall_s": result["wall_s"], "curve": curve})
        if runs:
            methods[method] = _aggregate(runs)
    return {"exp_dir": str(exp_dir), "benchmark": bench.summary(), "budget": cfg.budget,
            "reported_field": f"mean {field} over repeats at {epochs} epochs, of the best-by-validation cell",
            "reference": reference, "best_hash_in_file": bench.hash_of(best_row), "space_size": len(bench),
            "methods": methods}


def _aggregate(runs: list[dict]) -> dict:
    val = np.array([r["reported"] for r in runs])
    ok = np.isfinite(val)
    length = max(len(r["curve"]) for r in runs)
    curves = np.full((len(runs), length), np.nan)
    for i, r in enumerate(runs):
        curves[i, :len(r["curve"])] = r["curve"]
    with np.errstate(invalid="ignore"):
        mean_curve = [float(np.nanmean(c)) if np.isfinite(c).any() else None for c in curves.T]
    return {
        "runs": len(runs), "finished": sum(r["finished"] for r in runs), "reported_known": int(ok.sum()),
        "mean": float(val[ok].mean()) if ok.any() else None, "std": float(val[ok].std()) if ok.any() else None,
        "mean_regret": float(np.mean([r["regret"] for r in runs if np.isfinite(r["regret"])])) if ok.any() else None,
        "median_rank": float(np.median([r["rank"] for r in runs if r["rank"] is not None])) if ok.any() else None,
        "mean_queries": float(np.mean([r["queries"] for r in runs])),
        "mean_simulated_hours": float(np.mean([r["simulated_hours"] for r in runs])),
        "mean_curve": mean_curve, "per_seed": [{k: v for k, v in r.items() if k != "curve"} for r in runs],
    }


def table(summary: dict) -> str:
    b = summary["benchmark"]
    lines = [f"NAS-Bench-101 ({b['cells']:,} cells in {Path(b['source']).name}), budget {summary['budget']} unique cells",
             f"reported: {summary['reported_field']}; regret against {summary['reference']:.2f}; "
             f"rank among all {summary['space_size']:,} cells (1 = best)",
             "",
             f"{'method':<12}{'runs':>5}{'queries':>9}{'reported (%)':>16}{'regret':>8}{'median rank':>13}"
             f"{'sim. hours':>12}"]
    for method, m in summary["methods"].items():
        acc = f"{m['mean']:.2f} ± {m['std']:.2f}" if m["mean"] is not None else "n/a"
        regret = f"{m['mean_regret']:.2f}" if m["mean_regret"] is not None else "n/a"
        rank = f"{m['median_rank']:.0f}" if m["median_rank"] is not None else "n/a"
        lines.append(f"{method:<12}{m['runs']:>5}{m['mean_queries']:>9.0f}{acc:>16}{regret:>8}{rank:>13}"
                     f"{m['mean_simulated_hours']:>12.1f}")
    if any(m["reported_known"] < m["runs"] for m in summary["methods"].values()):
        lines.append("n/a: the file lacks this field for the cells found (partial file); see report.json")
    return "\n".join(lines) + "\n"


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for method, m in summary["methods"].items():
        y = [summary["reference"] - v if v is not None else np.nan for v in m["mean_curve"]]
        ax.plot(np.arange(1, len(y) + 1), y, label=f"{method} ({m['runs']} seeds)")
    ax.set_xscale("log")
    ax.set_xlabel("unique cells queried")
    ax.set_ylabel(f"regret vs {summary['reference']:.2f} (%), mean over seeds")
    ax.set_title("NAS-Bench-101: best-by-validation cell so far")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    atomic_write_with(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)


def write_report(exp_dir: str | Path, cfg: ExperimentConfig) -> dict:
    """Write ``report.json``, ``report.txt`` and ``report.png`` into ``exp_dir``; returns the summary."""
    exp_dir = Path(exp_dir)
    summary = summarise(exp_dir, cfg)
    if not summary["methods"]:
        raise FileNotFoundError(f"{exp_dir}: no finished runs (<method>/seed<k>/result.json); run stage 2 first")
    atomic_write_json(exp_dir / "report.json", _finite(summary))
    atomic_write_text(exp_dir / "report.txt", table(summary))
    plot(summary, exp_dir / "report.png")
    return summary


def _finite(obj):
    """NaN -> None, so report.json is strict JSON."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj
