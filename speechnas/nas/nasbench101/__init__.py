"""NAS-Bench-101 without TensorFlow: TFRecord + protobuf reader, binary cache, cells, pruning and the official hash.

>>> from speechnas.nas.nasbench101 import NasBench101
>>> bench = NasBench101.load("nasbench_only108.tfrecord")   # first load builds <file>.cache.npz
"""
from speechnas.nas.nasbench101.benchmark import NasBench101, NotInBenchmark
from speechnas.nas.nasbench101.graph import OPS, Cell, embed7, from_str, invalid_reason, is_valid, prune, to_str
from speechnas.nas.nasbench101.hashing import cell_hash, hash_module
from speechnas.nas.nasbench101.tfrecord import RecordError

__all__ = ["NasBench101", "NotInBenchmark", "OPS", "Cell", "embed7", "from_str", "invalid_reason", "is_valid",
           "prune", "to_str", "cell_hash", "hash_module", "RecordError"]
