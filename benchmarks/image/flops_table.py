"""The multiply-add and parameter counter on the paper's architectures, how much of the space the 600M limit
keeps, and how fast the counter is.

    .venv/bin/python benchmarks/image/flops_table.py [--samples 20000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_args import report  # noqa: E402

from speechnas.image.flops import CostTable  # noqa: E402
from speechnas.image.layout import width_preset  # noqa: E402
from speechnas.image.space import ImageNetSpace  # noqa: E402

ARCHS = {"SemiNASNet": "6 5 1 7 4 2 5 3 5 2 5 3 3 5 7 3 1 6 3 3 6", "all k7e6": " ".join(["6"] * 21),
         "all k3e3, no skips": " ".join(["1"] * 21)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=20000, help="uniform draws for the share under the limit")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    table = []
    for name, text in ARCHS.items():
        for widths in ("final", "supernet"):
            c = CostTable(width_preset(widths)).count([int(t) for t in text.split()])
            table.append({"arch": name, "widths": widths, "madds_M": round(c.madds / 1e6, 2),
                          "params_M": round(c.params / 1e6, 3)})
    unlimited, limited = ImageNetSpace(limit_madds=None), ImageNetSpace()
    rng = np.random.default_rng(0)
    draws = [unlimited.sample(rng) for _ in range(args.samples)]
    t0 = time.perf_counter()
    madds = np.array([limited.cost(a).madds for a in draws])
    per_count = (time.perf_counter() - t0) / len(draws)
    t0 = time.perf_counter()
    for _ in range(2000):
        limited.sample(rng)
    per_sample = (time.perf_counter() - t0) / 2000
    report({"table": table, "uniform_under_600M_final": round(float((madds < 600e6).mean()), 4),
            "uniform_madds_final_M": {"min": round(madds.min() / 1e6, 1), "median": round(float(np.median(madds)) / 1e6, 1),
                                      "max": round(madds.max() / 1e6, 1)},
            "count_us": round(per_count * 1e6, 2), "sample_under_limit_us": round(per_sample * 1e6, 2)}, args.out)


if __name__ == "__main__":
    main()
