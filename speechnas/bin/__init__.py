"""Entry points of the recipe stages: ``python -m speechnas.bin.<verb>``."""
