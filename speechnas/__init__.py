"""speechnas: a TTS-first speech toolkit with neural architecture search (SemiNAS) built in."""

__version__ = "0.1.0"
