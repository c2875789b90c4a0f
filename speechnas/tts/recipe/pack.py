"""A model directory, and packing one: everything synthesis needs, in one folder.

A model directory holds ``model.yaml`` (format, architecture, model config, mel settings, text front-end,
decoding and Griffin-Lim settings), ``tokens.txt`` and ``feats_stats.npz``, and its weights: ``model.pt`` (a
packed model: the state dict alone, with its sha256 in ``model.yaml``) or ``checkpoints/ckpt_*.pt`` (a training
directory of stage 5, whose newest checkpoint is used). :func:`load_model` reads either.
"""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import yaml

from speechnas.audio.functional import MelConfig
from speechnas.audio.griffinlim import GriffinLimConfig
from speechnas.data import FeatureNormalizer
from speechnas.text.tokens import TokenList
from speechnas.tts.model.arch import TTSArch, from_str
from speechnas.tts.decoding.decode import DecodeConfig
from speechnas.tts.model.backbone import TTSModel, TTSModelConfig
from speechnas.utils.checkpoint import find_latest_checkpoint
from speechnas.utils.config import from_dict, to_dict
from speechnas.utils.device import resolve_device
from speechnas.utils.io import atomic_torch_save, atomic_write_bytes, atomic_write_yaml

FORMAT = "speechnas-tts-1"


class ModelDirError(FileNotFoundError):
    """A model directory is missing, incomplete or damaged."""


@dataclass
class LoadedModel:
    model: TTSModel
    arch: TTSArch
    tokens: TokenList
    normalizer: FeatureNormalizer
    mel: MelConfig
    decode: DecodeConfig
    griffin_lim: GriffinLimConfig
    token_type: str
    cleaner: str
    frames_per_token: float | None  # the training data's mean (expected lengths for the reward); None: unknown
    meta: dict  # the whole model.yaml
    path: Path
    weights: Path  # the file the weights came from (model.pt or the newest checkpoint)


def write_model_dir(out_dir: str | Path, arch: TTSArch, model_cfg: TTSModelConfig, tokens: str | Path,
                    stats: str | Path, mel: MelConfig, token_type: str, decode: DecodeConfig,
                    griffin_lim: GriffinLimConfig, extra: dict | None = None,
                    frames_per_token: float | None = None) -> dict:
    """Write ``model.yaml`` and copy the token list and statistics into ``out_dir`` (weights come separately).

    ``decode`` should hold the maximum-length ratio from the training data
    (:meth:`speechnas.tts.recipe.data.RecipeData.decode_config`), and ``frames_per_token`` its mean: both travel
    with the model, so a packed model decodes and scores new text as the recipe did."""
    out = Path(out_dir)
    meta = {"format": FORMAT, "arch": str(arch), "model": to_dict(replace(model_cfg, arch=str(arch))),
            "features": to_dict(mel), "text": {"token_type": token_type, "cleaner": "english"},
            "frames_per_token": frames_per_token,
            "decode": to_dict(decode), "griffin_lim": to_dict(griffin_lim), **(extra or {})}
    atomic_write_bytes(out / "tokens.txt", Path(tokens).read_bytes())
    atomic_write_bytes(out / "feats_stats.npz", Path(stats).read_bytes())
    atomic_write_yaml(out / "model.yaml", meta)
    return meta


def read_model_meta(path: str | Path) -> dict:
    path = Path(path)
    meta_file = path / "model.yaml"
    if not meta_file.is_file():
        raise ModelDirError(f"{meta_file} not found: {path} is not a speechnas model directory "
                            f"(a packed model of stage 8 or a trained model of stage 5)")
    meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
    if meta.get("format") != FORMAT:
        raise ModelDirError(f"{meta_file}: format {meta.get('format')!r} is not {FORMAT!r}")
    return meta


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def weights_file(path: Path) -> Path:
    """``model.pt`` of a packed model, else the newest complete checkpoint of a training directory."""
    if (path / "model.pt").is_file():
        return path / "model.pt"
    ckpt = find_latest_checkpoint(path / "checkpoints")
    if ckpt is None:
        raise ModelDirError(f"{path / 'model.pt'} not found and {path / 'checkpoints'} holds no checkpoint: "
                            f"the model in {path} has no weights")
    return ckpt


def load_model(path: str | Path, device: str = "cpu") -> LoadedModel:
    """Load a packed or trained model directory onto ``device`` (``auto``, ``cpu``, ``cuda``), in eval mode."""
    path = Path(path)
    if not path.is_dir():
        raise ModelDirError(f"model directory {path} not found")
    meta = read_model_meta(path)
    for f in ("tokens.txt", "feats_stats.npz"):
        if not (path / f).is_file():
            raise ModelDirError(f"{path / f} not found: the model directory is incomplete")
    wfile = weights_file(path)
    if wfile.name == "model.pt" and meta.get("sha256") and _sha256(wfile) != meta["sha256"]:
        raise ModelDirError(f"{wfile} does not match the sha256 in {path / 'model.yaml'}: the file is damaged")
    model_cfg = from_dict(TTSModelConfig, meta["model"], source=str(path / "model.yaml"))
    arch = from_str(meta["arch"], model_cfg.encoder_layers)
    tokens = TokenList.read(path / "tokens.txt")
    if len(tokens) != model_cfg.vocab_size:
        raise ModelDirError(f"{path / 'tokens.txt'} has {len(tokens)} tokens but the model expects {model_cfg.vocab_size}")
    dev = resolve_device(device)
    model = TTSModel(model_cfg, arch)
    state = torch.load(wfile, map_location="cpu", weights_only=wfile.name == "model.pt")
    model.load_state_dict(state if wfile.name == "model.pt" else state["model"])
    model.to(dev).eval()
    src = str(path / "model.yaml")
    return LoadedModel(model, arch, tokens, FeatureNormalizer.from_npz(path / "feats_stats.npz"),
                       from_dict(MelConfig, meta["features"], source=src),
                       from_dict(DecodeConfig, meta["decode"], source=src),
                       from_dict(GriffinLimConfig, meta["griffin_lim"], source=src),
                       meta["text"]["token_type"], meta["text"]["cleaner"], meta.get("frames_per_token"), meta, path,
                       wfile)


def pack_model(model_dir: str | Path, out_dir: str | Path) -> Path:
    """Pack a trained model directory into ``out_dir``: weights alone (``model.pt``), config, tokens, statistics.

    Files are written atomically; ``model.yaml`` (with the weights' sha256) is written last, so a directory
    whose ``model.yaml`` exists is complete. The result is loaded once as a check.
    """
    src, out = Path(model_dir), Path(out_dir)
    meta = read_model_meta(src)
    wfile = weights_file(src)
    state = torch.load(wfile, map_location="cpu", weights_only=False)
    packed = wfile.name == "model.pt"
    weights = state if packed else state["model"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.yaml").unlink(missing_ok=True)  # a half-packed directory never looks complete
    atomic_torch_save(weights, out / "model.pt")
    for f in ("tokens.txt", "feats_stats.npz"):
        shutil.copyfile(src / f, out / f".{f}.tmp")
        (out / f".{f}.tmp").replace(out / f)
    meta = dict(meta, sha256=_sha256(out / "model.pt"), packed_from=str(wfile.resolve()),
                trained_steps=int(meta.get("trained_steps", 0) if packed else state["step"]))
    atomic_write_yaml(out / "model.yaml", meta)
    load_model(out)
    return out
