from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

import pytest
import yaml

from speechnas.utils.config import ConfigError, load_config, save_config, to_dict


@dataclass
class TrainCfg:
    lr: float = 1e-3
    steps: int = 100
    amp: bool = True
    betas: tuple[float, float] = (0.9, 0.98)


@dataclass
class ModelCfg:
    dim: int = 64
    ops: list[str] = field(default_factory=lambda: ["conv5", "tf4"])
    kind: Literal["small", "big"] = "small"
    dropout: Optional[float] = None


@dataclass
class Cfg:
    name: str = "run"
    train: TrainCfg = field(default_factory=TrainCfg)
    model: ModelCfg = field(default_factory=ModelCfg)


def test_round_trip_through_yaml(tmp_path):
    cfg = load_config(Cfg, overrides=["--train.lr", "3e-4", "--model.ops", "[tf8, lstm]", "--model.dropout=0.2"])
    path = tmp_path / "c.yaml"
    save_config(cfg, path)
    again = load_config(Cfg, path)
    assert again == cfg
    assert again.train.lr == pytest.approx(3e-4)
    assert again.model.ops == ["tf8", "lstm"]
    assert again.model.dropout == pytest.approx(0.2)
    assert again.train.betas == (0.9, 0.98)


def test_yaml_then_command_line_precedence(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  lr: 0.01\n  steps: 5\nmodel:\n  kind: big\n")
    cfg = load_config(Cfg, path, ["--train.steps", "7", "--train.amp", "false"])
    assert cfg.train.lr == 0.01 and cfg.train.steps == 7 and cfg.train.amp is False
    assert cfg.model.kind == "big" and cfg.model.dim == 64
    assert to_dict(cfg)["train"]["steps"] == 7


def test_unknown_key_in_file_names_key_and_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  lrr: 0.1\n")
    with pytest.raises(ConfigError, match=r"train\.lrr.*bad\.yaml"):
        load_config(Cfg, path)


def test_unknown_key_on_command_line_names_key():
    with pytest.raises(ConfigError, match=r"model\.width"):
        load_config(Cfg, overrides=["--model.width", "3"])
    with pytest.raises(ConfigError, match=r"nosuch"):
        load_config(Cfg, overrides=["--nosuch", "3"])


def test_wrong_type_names_key():
    with pytest.raises(ConfigError, match=r"train\.steps.*int"):
        load_config(Cfg, overrides=["--train.steps", "abc"])
    with pytest.raises(ConfigError, match=r"train\.amp.*bool"):
        load_config(Cfg, overrides=["--train.amp", "3"])
    with pytest.raises(ConfigError, match=r"model\.kind"):
        load_config(Cfg, overrides=["--model.kind", "huge"])


def test_wrong_type_in_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"model": {"dim": "wide"}}))
    with pytest.raises(ConfigError, match=r"model\.dim.*c\.yaml"):
        load_config(Cfg, path)
