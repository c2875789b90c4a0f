"""Stage 8: pack every trained model (weights, architecture, config, token list, feature statistics) into
``<exp>/packed/<model>/``, ready for ``speechnas-synthesize --model <exp>/packed/found --text "..."``."""
from __future__ import annotations

import sys

from speechnas.bin._tts_common import model_names, parse_recipe, recipe_parser
from speechnas.tts.pack import ModelDirError
from speechnas.tts.recipe_output import pack_stage


def main() -> None:
    args, cfg, _ = parse_recipe(recipe_parser(__doc__, models=True), "stage 8")
    try:
        for name in model_names(cfg.search.method, args.baselines):
            print(pack_stage(args.exp_dir, name))
    except (FileNotFoundError, ModelDirError, ValueError) as e:
        sys.exit(f"stage 8: {e}")


if __name__ == "__main__":
    main()
