"""Evaluation: alignment metrics and the search reward, MCD, scoring on batches, the stage-7 report, plots."""
