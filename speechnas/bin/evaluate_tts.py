"""Stage 7: evaluate the synthesized eval set of every model (DFR, sentences with repeats / skips, error rate,
MCD against the reference audio where it exists) into ``<exp>/eval/results.{txt,json}``; prints the table."""
from __future__ import annotations

from speechnas.bin._tts_common import parse_recipe, recipe_parser, run_stage
from speechnas.tts.recipe.output import evaluate_stage
from speechnas.tts.recipe.train_stage import model_names


def main() -> None:
    args, cfg, data = parse_recipe(recipe_parser(__doc__, models=True), "stage 7")
    names = model_names(cfg.search.method, args.baselines)
    print(run_stage("stage 7", lambda: evaluate_stage(cfg, data, args.exp_dir, names)), end="")


if __name__ == "__main__":
    main()
