"""Small widths and a shared mini image set for the image tests (imported by name: a second ``conftest`` module
would shadow the root one, whose ``shared_path`` every other test imports)."""
from __future__ import annotations

import pytest

from speechnas.image.layout import Widths
from speechnas.image.mini import MiniSetConfig, make_mini_set

TINY = Widths(stem=8, first=8, stages=(8, 16, 16, 24, 24, 32), head=48)


@pytest.fixture(scope="session")
def mini_root(tmp_path_factory):
    """A small mini image set (4 classes, 40 train and 10 val images each, 40 px)."""
    return make_mini_set(tmp_path_factory.mktemp("images") / "mini",
                         MiniSetConfig(num_classes=4, train_per_class=40, val_per_class=10, image_size=40))
