"""Training: losses (mel, stop token, guided attention) and the trainer (single path or standalone, AMP, DDP)."""
