"""A model directory for an image classifier, and loading one with a single call.

A model directory holds ``model.yaml`` (format, architecture, network config, class names, input size and
normalisation, cost and accuracy) and its weights: ``model.pt`` (an exported model: the state dict alone, its
sha256 in ``model.yaml``) or ``checkpoints/ckpt_*.pt`` (a training directory of stage 3, newest checkpoint).

    clf = speechnas.image.load_model("exp/mini/export")
    clf.predict_files(["cat.jpg"])   # [{"file": "cat.jpg", "top": [{"class": ..., "prob": ...}, ...]}]
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
import yaml

from speechnas.image.data import DataConfig, LOADERS, MEAN, STD, eval_transform, to_input
from speechnas.image.model import ImageNet, NetConfig
from speechnas.image.space import ImageArch, parse_arch
from speechnas.utils.checkpoint import find_latest_checkpoint
from speechnas.utils.config import from_dict, to_dict
from speechnas.utils.device import resolve_device
from speechnas.utils.io import atomic_torch_save, atomic_write_yaml

FORMAT = "speechnas-image-1"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".ppm", ".tif", ".tiff")


class ModelDirError(FileNotFoundError):
    """A model directory is missing, incomplete or damaged."""


def model_meta(arch: ImageArch, net: NetConfig, classes: Sequence[str], data: DataConfig, extra: dict | None = None) -> dict:
    return {"format": FORMAT, "arch": str(arch), "model": to_dict(net), "classes": list(classes),
            "input": {"image_size": data.image_size, "resize_ratio": data.resize_ratio, "mean": list(MEAN),
                      "std": list(STD)}, **(extra or {})}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def export_model(out_dir: str | Path, model: ImageNet, classes: Sequence[str], data: DataConfig,
                 extra: dict | None = None) -> dict:
    """Write ``model.pt`` (weights) then ``model.yaml`` (with their sha256) into ``out_dir``; returns the meta."""
    out = Path(out_dir)
    if len(classes) != model.cfg.num_classes:
        raise ValueError(f"{len(classes)} class names for a network with {model.cfg.num_classes} outputs")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    atomic_torch_save(state, out / "model.pt")
    meta = model_meta(model.arch, model.cfg, classes, data, extra)
    meta["weights"] = {"file": "model.pt", "sha256": _sha256(out / "model.pt")}
    atomic_write_yaml(out / "model.yaml", meta)
    return meta


@dataclass
class ImageClassifier:
    """A loaded model: ``predict`` on uint8 batches, ``predict_files`` on image files."""

    model: ImageNet
    classes: list[str]
    data: DataConfig
    device: torch.device
    meta: dict
    path: Path

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """Class probabilities ``(N, classes)`` of uint8 images ``(N, 3, image_size, image_size)``."""
        self.model.eval()
        return self.model(to_input(images, self.device)).float().softmax(dim=1).cpu()

    def predict_files(self, files: Sequence[str | Path], batch_size: int = 32, topk: int = 5) -> list[dict]:
        """Top-``topk`` classes of each image file (evaluation transform: resize, centre crop)."""
        transform, loader = eval_transform(self.data), LOADERS["pil"]
        out = []
        for start in range(0, len(files), batch_size):
            chunk = [Path(f) for f in files[start:start + batch_size]]
            batch = []
            for f in chunk:
                try:
                    batch.append(transform(loader(str(f))))
                except Exception as e:
                    raise ValueError(f"cannot read image {f}: {e}") from e
            probs = self.predict(torch.stack(batch))
            values, idx = probs.topk(min(topk, probs.shape[1]), dim=1)
            for f, v, i in zip(chunk, values.tolist(), idx.tolist()):
                out.append({"file": str(f), "top": [{"class": self.classes[c], "prob": round(p, 6)} for p, c in zip(v, i)]})
        return out


def read_meta(path: str | Path) -> dict:
    meta_file = Path(path) / "model.yaml"
    if not meta_file.is_file():
        raise ModelDirError(f"{meta_file} not found: {path} is not a speechnas image model directory "
                            f"(stage 5's export or stage 3's training directory)")
    meta = yaml.safe_load(meta_file.read_text(encoding="utf-8")) or {}
    if meta.get("format") != FORMAT:
        raise ModelDirError(f"{meta_file}: format {meta.get('format')!r} is not {FORMAT!r}")
    return meta


def load_model(path: str | Path, device: str = "cpu") -> ImageClassifier:
    """Load an exported model (``model.pt``) or a training directory (newest checkpoint) onto ``device``."""
    path = Path(path)
    meta = read_meta(path)
    weights = path / "model.pt"
    if weights.is_file():
        want = (meta.get("weights") or {}).get("sha256")
        if want is not None and _sha256(weights) != want:
            raise ModelDirError(f"{weights}: sha256 differs from model.yaml's; the file is damaged")
        state = torch.load(weights, map_location="cpu", weights_only=True)
    else:
        ckpt = find_latest_checkpoint(path / "checkpoints")
        if ckpt is None:
            raise ModelDirError(f"{path} has neither model.pt nor a checkpoint in checkpoints/")
        state = torch.load(ckpt, map_location="cpu", weights_only=False)["model"]
    net_cfg = from_dict(NetConfig, meta["model"], source=str(path / "model.yaml"))
    model = ImageNet(net_cfg, parse_arch(meta["arch"]))
    model.load_state_dict(state)
    dev = resolve_device(device)
    inp = meta["input"]
    data = DataConfig(image_size=int(inp["image_size"]), resize_ratio=float(inp["resize_ratio"]))
    return ImageClassifier(model.to(dev).eval(), list(meta["classes"]), data, dev, meta, path)


def image_files(folder: str | Path) -> list[Path]:
    """Image files under ``folder`` (recursively, sorted); an error when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {folder}")
    return files
