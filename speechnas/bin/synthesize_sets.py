"""Stage 6: synthesize the eval set (the hard sentences in the robustness setting) with every trained model:
Griffin-Lim wavs and attention plots in ``<exp>/synth/<set>/<model>/`` (every set of ``synth.sets``). A missing model fails naming its path."""
from __future__ import annotations

from speechnas.bin._tts_common import parse_recipe, recipe_parser, run_stage
from speechnas.utils.jobs import run_jobs
from speechnas.tts.recipe.output import synthesize_stage
from speechnas.tts.recipe.train_stage import model_names, trained_model_dir


def main() -> None:
    p = recipe_parser(__doc__, models=True)
    p.add_argument("--nj", type=int, default=1, help="models synthesized in parallel (one CPU process each)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    args, cfg, data = parse_recipe(p, "stage 6")
    names = model_names(cfg.search.method, args.baselines)

    def synthesize() -> list:
        for n in names:
            trained_model_dir(args.exp_dir, n)  # every model must exist before any work starts
        return run_jobs(synthesize_stage, [(cfg, data, args.exp_dir, n, args.device) for n in names], args.nj, names)

    run_stage("stage 6", synthesize)


if __name__ == "__main__":
    main()
