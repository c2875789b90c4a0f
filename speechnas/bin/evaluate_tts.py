"""Stage 7: evaluate the synthesized eval set of every model (DFR, sentences with repeats / skips, error rate,
MCD against the reference audio where it exists) into ``<exp>/eval/results.{txt,json}``; prints the table."""
from __future__ import annotations

import sys

from speechnas.bin._tts_common import model_names, parse_recipe, recipe_parser
from speechnas.tts.recipe_output import evaluate_stage


def main() -> None:
    args, cfg, data = parse_recipe(recipe_parser(__doc__, models=True), "stage 7")
    try:
        table = evaluate_stage(cfg, data, args.exp_dir, model_names(cfg.search.method, args.baselines))
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f"stage 7: {e}")
    print(table, end="")


if __name__ == "__main__":
    main()
