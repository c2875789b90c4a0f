"""Stage 8: pack every trained model (weights, architecture, config, token list, feature statistics) into
``<exp>/packed/<model>/``, ready for ``speechnas-synthesize --model <exp>/packed/found --text "..."``."""
from __future__ import annotations

from speechnas.bin._tts_common import parse_recipe, recipe_parser, run_stage
from speechnas.tts.recipe.output import pack_stage
from speechnas.tts.recipe.train_stage import model_names


def main() -> None:
    args, cfg, _ = parse_recipe(recipe_parser(__doc__, models=True), "stage 8", need_data=False)
    for name in model_names(cfg.search.method, args.baselines):
        print(run_stage("stage 8", lambda: pack_stage(args.exp_dir, name)))


if __name__ == "__main__":
    main()
