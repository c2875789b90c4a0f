"""Does a higher supernet reward mean a better trained model? The one-shot ranking of a finished stage 3-4
experiment checked against standalone training.

Takes ``--archs`` architectures of the search (spread evenly over its final ranking, best and worst included),
trains each standalone with the config's final-training schedule (``final_model``/``final_train``; pass a conf
sized for a CPU), decodes the dev set free-running to the stop token (``--seeds`` pre-net dropout seeds) and
reports Spearman and Kendall tau between the supernet reward (each architecture's latest score) and the trained
model's reward (DFR) and sentence error rate (sentences with a skipped or repeated word). Trainings run ``--nj``
at a time and resume; outputs go to ``--out`` (default ``<exp>/ranking/<method>``): ``train/<name>/`` per model,
``ranking.json`` and ``ranking.png``.

    python benchmarks/tts/oneshot_ranking.py --recipe egs/ljspeech --prefix mini_low_resource \
        --exp egs/ljspeech/exp/mini_low_resource --conf egs/ljspeech/conf/mini.yaml --archs 10 --nj 2
"""
from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from scipy.stats import kendalltau, spearmanr

from speechnas.text.tokens import read_token_file
from speechnas.tts.evaluation.free_running import free_running_report
from speechnas.tts.recipe.config import load_recipe_config
from speechnas.tts.recipe.data import RecipeData
from speechnas.tts.recipe.pack import load_model
from speechnas.tts.recipe.train_stage import train_model_stage
from speechnas.utils.io import atomic_write_json, atomic_write_with
from speechnas.utils.jobs import run_jobs
from speechnas.utils.logging import setup_logging

log = logging.getLogger("oneshot_ranking")


def pick(scores_file: Path, n: int) -> list[dict]:
    """``n`` architectures spread evenly over the latest ranking of a search (best first)."""
    latest: dict[str, dict] = {}
    for line in scores_file.read_text().splitlines():
        rec = json.loads(line)
        latest[rec["key"]] = rec  # the last score of each architecture is its latest
    ranked = sorted(latest.values(), key=lambda r: -r["metrics"]["dfr"])
    if len(ranked) < n:
        raise SystemExit(f"{scores_file}: only {len(ranked)} architectures were scored, fewer than --archs {n}")
    idx = np.unique(np.round(np.linspace(0, len(ranked) - 1, n)).astype(int))
    return [dict(ranked[i], rank=int(i) + 1) for i in idx]


def train_one(conf: str, overrides: list[str], recipe: Path, prefix: str, out: Path, name: str, arch: str) -> dict:
    cfg = load_recipe_config(conf, overrides)
    data = RecipeData(recipe / "data", recipe / "dump", prefix)
    data.resolve(cfg)
    t0 = time.perf_counter()
    train_model_stage(cfg, data, out, name, arch)
    return {"name": name, "train_s": time.perf_counter() - t0}


def evaluate_one(conf: str, overrides: list[str], recipe: Path, prefix: str, out: Path, name: str,
                 seeds: list[int]) -> dict:
    cfg = load_recipe_config(conf, overrides)
    data = RecipeData(recipe / "data", recipe / "dump", prefix)
    data.resolve(cfg)
    model = load_model(out / "train" / name).model
    dev = data.fixed_batches("dev", cfg.synth.batch_frames, decode=cfg.synth.decode)
    symbols = read_token_file(data.dump / "dev" / "token")
    rep = free_running_report(model, dev, symbols, cfg.synth.decode, seeds, data.frames_per_token,
                              cfg.evaluation.min_repeat_frames)
    return {k: v for k, v in rep.items() if k != "per_utterance"}


def correlations(x: list[float], y: list[float]) -> dict:
    rho, tau = spearmanr(x, y), kendalltau(x, y)
    return {"spearman": float(rho.statistic), "spearman_p": float(rho.pvalue), "kendall_tau": float(tau.statistic),
            "kendall_p": float(tau.pvalue)}


def plot(path: Path, rows: list[dict], corr: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["supernet_dfr"] for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((axes[0], "trained_dfr", "trained model's DFR (free-running, dev)"),
                           (axes[1], "trained_error_rate", "trained model's sentence error rate (dev)")):
        ax.scatter(x, [r[key] for r in rows])
        for r in rows:
            ax.annotate(str(r["rank"]), (r["supernet_dfr"], r[key]), fontsize=7)
        c = corr[key]
        ax.set_title(f"Spearman {c['spearman']:.2f}, Kendall {c['kendall_tau']:.2f}")
        ax.set_xlabel("supernet reward (latest score in the search)")
        ax.set_ylabel(label)
    fig.tight_layout()
    atomic_write_with(path, lambda f: fig.savefig(f, format="png", dpi=100))
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipe", type=Path, default=Path("egs/ljspeech"), help="recipe dir with data/ and dump/")
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--exp", type=Path, required=True, help="experiment dir with a finished stage 4")
    ap.add_argument("--conf", required=True, help="recipe config whose final_model/final_train are trained")
    ap.add_argument("--method", default="seminas")
    ap.add_argument("--archs", type=int, default=10)
    ap.add_argument("--seeds", default="0,1,2", help="decoding seeds of the trained models' dev scores")
    ap.add_argument("--nj", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None)
    args, overrides = ap.parse_known_args()
    setup_logging(logging.INFO)
    torch.set_num_threads(1)
    out = args.out or args.exp / "ranking" / args.method
    chosen = pick(args.exp / "search" / args.method / "scores.jsonl", args.archs)
    names = [f"rank{c['rank']:03d}" for c in chosen]
    t0 = time.perf_counter()
    trained = run_jobs(train_one, [(args.conf, overrides, args.recipe, args.prefix, out, n, c["arch"])
                                   for n, c in zip(names, chosen)], args.nj, names)
    seeds = [int(s) for s in args.seeds.split(",")]
    scored = run_jobs(evaluate_one, [(args.conf, overrides, args.recipe, args.prefix, out, n, seeds) for n in names],
                      args.nj, names)
    rows = [{"rank": c["rank"], "arch": c["arch"], "supernet_dfr": c["metrics"]["dfr"],
             "supernet_step": c["supernet_step"], "trained_dfr": s["dfr"], "trained_error_rate": s["error_rate"],
             "trained_stop_rate": s["stop_rate"], "train_s": round(t["train_s"], 1)}
            for c, s, t in zip(chosen, scored, trained)]
    x = [r["supernet_dfr"] for r in rows]
    corr = {"trained_dfr": correlations(x, [r["trained_dfr"] for r in rows]),
            "trained_error_rate": correlations(x, [r["trained_error_rate"] for r in rows])}
    atomic_write_json(out / "ranking.json", {"exp": str(args.exp), "method": args.method, "conf": args.conf,
                                             "overrides": overrides, "seeds": seeds, "architectures": rows,
                                             "correlations": corr, "wall_s": round(time.perf_counter() - t0, 1)})
    plot(out / "ranking.png", rows, corr)
    print(f"{'rank':>4} {'supernet':>8} {'trained DFR':>11} {'error rate':>10}  architecture")
    for r in rows:
        print(f"{r['rank']:4d} {r['supernet_dfr']:8.3f} {r['trained_dfr']:11.3f} {r['trained_error_rate']:10.2f}  "
              f"{r['arch']}")
    for key, c in corr.items():
        print(f"supernet reward vs {key}: Spearman {c['spearman']:.3f} (p {c['spearman_p']:.3f}), "
              f"Kendall tau {c['kendall_tau']:.3f} (p {c['kendall_p']:.3f})")
    print(f"wrote {out / 'ranking.json'} and {out / 'ranking.png'}")


if __name__ == "__main__":
    main()
