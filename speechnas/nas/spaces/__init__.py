"""Search spaces (plain Python objects implementing :class:`speechnas.nas.space.SearchSpace`)."""
