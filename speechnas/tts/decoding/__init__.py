"""Decoding: the autoregressive loop and its cache (outside the model), the monotonic constraint, text -> speech."""
