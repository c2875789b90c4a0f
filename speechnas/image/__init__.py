"""Image classification with NAS: the MobileNetV2 (ProxylessNAS) space of SemiNAS on ImageNet, its FLOPs counter,
one-shot supernet, data, training, scoring and export. Built on the NAS core; ``speechnas.nas`` never imports it.

``speechnas.image.load_model(dir)`` loads an exported model (see :mod:`speechnas.image.export`).
"""


def __getattr__(name: str):
    if name == "load_model":  # imported on first use, so the light modules (space, flops) stay light
        from speechnas.image.export import load_model

        return load_model
    raise AttributeError(f"module 'speechnas.image' has no attribute {name!r}")
