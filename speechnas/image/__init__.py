"""Image classification with NAS: the MobileNetV2 (ProxylessNAS) space of SemiNAS on ImageNet, its FLOPs counter,
one-shot supernet, data, training, scoring and export. Built on the NAS core; ``speechnas.nas`` never imports it."""
