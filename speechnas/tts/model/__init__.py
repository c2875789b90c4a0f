"""Architectures and their search space, building blocks, the 11 candidate ops, the backbone and the supernet."""
