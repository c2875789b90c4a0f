"""Task-agnostic NAS core: search spaces, evaluators, budget accounting and search strategies.

Nothing here imports speechnas.tts, speechnas.audio or speechnas.data: a task plugs in through
:class:`~speechnas.nas.space.SearchSpace` and :class:`~speechnas.nas.evaluator.Evaluator`.
"""
