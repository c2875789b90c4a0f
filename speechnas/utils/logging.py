"""Console logging and a TensorBoard writer that only rank 0 opens."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from speechnas.utils.distributed import is_main_process

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(level: int = logging.INFO, log_file: str | Path | None = None) -> None:
    """Console handler on every rank (non-zero ranks only warn); optional file handler on rank 0."""
    root = logging.getLogger()
    root.setLevel(level if is_main_process() else logging.WARNING)
    for h in list(root.handlers):
        if getattr(h, "_speechnas", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT, "%H:%M:%S"))
    handler._speechnas = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if log_file is not None and is_main_process():
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file)
        fh.setFormatter(logging.Formatter(_FORMAT))
        fh._speechnas = True  # type: ignore[attr-defined]
        root.addHandler(fh)


class TensorBoardLogger:
    """Thin wrapper over SummaryWriter: a no-op on ranks other than 0 or when ``log_dir`` is None."""

    def __init__(self, log_dir: str | Path | None):
        self.writer = None
        if log_dir is not None and is_main_process():
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(log_dir))

    def scalars(self, values: dict[str, float], step: int, prefix: str = "") -> None:
        if self.writer is None:
            return
        for k, v in values.items():
            self.writer.add_scalar(f"{prefix}{k}", float(v), step)

    def image(self, tag: str, image: Any, step: int, dataformats: str = "HWC") -> None:
        if self.writer is not None:
            self.writer.add_image(tag, image, step, dataformats=dataformats)

    def figure(self, tag: str, fig: Any, step: int) -> None:
        if self.writer is not None:
            self.writer.add_figure(tag, fig, step)

    def flush(self) -> None:
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
