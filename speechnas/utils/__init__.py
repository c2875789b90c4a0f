"""Shared plumbing for every recipe: configs, atomic I/O, checkpoints, seeding, devices, logging."""
