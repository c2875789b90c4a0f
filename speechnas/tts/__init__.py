"""The searchable TTS model (SemiNAS section 5): 11 candidate ops, supernet, training, decoding, alignment metrics.

Modules: ``arch`` (architectures and their search space), ``layers``/``ops`` (building blocks and the 11 ops),
``model`` (backbone and standalone model), ``supernet``, ``loss``, ``train``, ``decode`` (+ ``monotonic``),
``metrics``, ``evaluate``, ``plot``. Import what you need from the module itself.
"""
