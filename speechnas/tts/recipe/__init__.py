"""Recipe glue of stages 3-8: one config tree, what stages 1-2 left, one module per stage or job."""
