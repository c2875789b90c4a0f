"""Stage 4: architecture search on the one-shot loop with the supernet, reward = the alignment reward (DFR) of
free-running decoding on the dev set, mean over decoding seeds, every pool architecture re-scored each iteration.

``--methods seminas,nao`` runs several searches (``--nj`` at a time, one process each) from the same stage-3
supernet; each resumes from ``<exp>/search/<method>/state.pt`` and keeps every score already computed.
"""
from __future__ import annotations

import logging
import sys

from speechnas.bin._tts_common import parse_recipe, recipe_parser, run_stage
from speechnas.utils.jobs import run_jobs
from speechnas.tts.recipe.config import SEARCH_METHODS
from speechnas.tts.recipe.search_stage import search_stage

log = logging.getLogger("search_tts")


def main() -> None:
    p = recipe_parser(__doc__)
    p.add_argument("--methods", default=None, help="comma-separated, from seminas,nao,random "
                                                   "(default: search.method of the config)")
    p.add_argument("--nj", type=int, default=1, help="searches run in parallel (one CPU process each)")
    args, cfg, data = parse_recipe(p, "stage 4")
    methods = [m for m in (args.methods or cfg.search.method).split(",") if m]
    bad = [m for m in methods if m not in SEARCH_METHODS]
    if bad:
        sys.exit(f"stage 4: unknown search method(s) {bad}; choose from {list(SEARCH_METHODS)}")
    summaries = run_stage("stage 4", lambda: run_jobs(search_stage, [(cfg, data, args.exp_dir, m) for m in methods],
                                                      args.nj, methods))
    for m, s in zip(methods, summaries):
        blind = s["text_blind_dfr"]["mean"]
        log.info("stage 4: %-8s best DFR %.4f  median %.4f  (%d archs, %.2f s per score)  text-blind %s  %s", m,
                 s["best_dfr"], s["median_dfr"], s["architectures"], s["seconds_per_score"] or 0.0,
                 "n/a" if blind is None else f"{blind:.4f}", s["best_arch"])


if __name__ == "__main__":
    main()
