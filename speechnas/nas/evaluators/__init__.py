"""Evaluators (objects implementing :class:`speechnas.nas.evaluator.Evaluator`)."""
