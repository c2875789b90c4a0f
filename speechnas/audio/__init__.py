"""Audio: pure functions (functional.py) plus thin modules; shapes in every docstring."""
