"""The searchable TTS model (SemiNAS section 5) and its recipe, in five parts:

``model/`` (architectures and search space, building blocks, the 11 ops, backbone, supernet), ``training/`` (loss,
trainer), ``decoding/`` (the autoregressive loop, the monotonic constraint, text -> speech), ``evaluation/``
(alignment metrics and the search reward, MCD, scoring on batches, the stage-7 report, plots) and ``recipe/``
(configs and glue of stages 3-8). Import what you need from the module itself.
"""
