"""Every shipped ImageNet recipe config loads; the defaults are the paper's; bad settings fail naming the key."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from speechnas.image.recipe_config import ImageRecipeConfig, load_recipe_config
from speechnas.utils.config import ConfigError

CONF = Path(__file__).resolve().parents[2] / "recipes" / "imagenet" / "conf"


@pytest.mark.parametrize("path", sorted(CONF.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_configs_load(path):
    load_recipe_config(str(path))


def test_paper_defaults():
    cfg = ImageRecipeConfig()
    assert cfg.split.holdout == 50000 and cfg.search.limit_madds == 600e6
    sem = cfg.search.seminas
    assert (sem.initial, sem.unlabelled, sem.top_k, sem.new_per_iteration, sem.iterations) == (100, 4000, 100, 100, 3)
    t = cfg.final.train
    assert (t.epochs, t.batch_size, t.lr, t.schedule, t.weight_decay, t.label_smoothing, t.nesterov) == \
        (300, 256, 0.05, "cosine", 4e-5, 0.1, True)
    assert cfg.final.model.dropout == 0.3 and cfg.final.model.widths.head == 1728
    assert cfg.supernet.train.schedule == "step" and cfg.supernet.train.max_steps == cfg.search.oneshot.steps_per_new_arch * sem.initial
    assert cfg.search.oneshot.pool_steps_per_arch == 0 and cfg.search.oneshot.rescore


def test_bad_settings_name_the_key(tmp_path):
    with pytest.raises(ValueError, match="supernet.train.schedule"):
        load_recipe_config(None, ["--supernet.train.schedule", "cosine"])
    with pytest.raises(ValueError, match="search.score.holdout_images"):
        load_recipe_config(None, ["--split.holdout", "100"])
    with pytest.raises(ConfigError, match=r"search.limit_widths'.*stages needs 6"):
        load_recipe_config(None, ["--search.limit_widths.stages", "[1, 2]"])
    r = subprocess.run([sys.executable, "-m", "speechnas.bin.imagenet_search", "--data-dir", "d", "--exp-dir", "e",
                        "--conf", str(CONF / "mini.yaml"), "--print-config"], capture_output=True, text=True)
    assert r.returncode == 0 and "holdout_images: 150" in r.stdout
