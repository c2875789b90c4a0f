"""The JSON payload of one benchmark record: ``[module_hash, epochs, raw_adjacency, raw_operations, raw_metrics]``.

``raw_adjacency`` is a row-major '0'/'1' string of a pruned dim x dim matrix, ``raw_operations`` comma-separated
op names, ``raw_metrics`` base64 of a serialised ModelMetrics protobuf (see :mod:`.protobuf`).
"""
from __future__ import annotations

import base64
import json
from typing import Sequence

from speechnas.nas.nasbench101.graph import Cell
from speechnas.nas.nasbench101.protobuf import encode_model_metrics


_json_decode = json.JSONDecoder().decode


def format_payload(module_hash: str, epochs: int, cell: Cell, evaluations: Sequence[Sequence[float]],
                   trainable_parameters: int | None, total_time: float | None = None) -> bytes:
    """One record's payload bytes, spelled as the official generator's ``json.dumps`` spells them."""
    metrics = encode_model_metrics(evaluations, trainable_parameters, total_time)
    return json.dumps([module_hash, int(epochs), cell.adjacency_string(), ",".join(cell.ops),
                       base64.b64encode(metrics).decode("ascii")]).encode("utf-8")


def split_payload(payload: bytes) -> tuple[str, int, str, str, str]:
    """Parse and type-check the five fields; raises ValueError saying which field is wrong."""
    try:
        fields = _json_decode(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"payload is not UTF-8 JSON ({e})") from None
    if not isinstance(fields, list) or len(fields) != 5:
        raise ValueError("payload is not a 5-element JSON list [hash, epochs, adjacency, operations, metrics]")
    h, epochs, adj, ops, metrics = fields
    if not isinstance(h, str) or len(h) != 32:
        raise ValueError(f"module_hash {h!r} is not a 32-character hex string")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs <= 0:
        raise ValueError(f"epochs {epochs!r} is not a positive integer")
    if not isinstance(adj, str) or not isinstance(ops, str) or not isinstance(metrics, str):
        raise ValueError("adjacency, operations and metrics must be strings")
    return h, epochs, adj, ops, metrics


def decode_metrics_b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as e:
        raise ValueError(f"raw_metrics is not valid base64 ({e})") from None
