"""The benchmark as numpy arrays (one row per unique cell, sorted by hash) and the reader that fills them from a file.

``metrics[row, epoch, repeat, point, field]``: point 0 = halfway, 1 = final evaluation; fields are
:data:`METRIC_FIELDS`. Missing values (absent fields, fewer repeats) are NaN; ``n_repeats`` counts real repeats.
"""
from __future__ import annotations

import mmap
import os
from array import array
from dataclasses import dataclass, field

import numpy as np

from speechnas.nas.nasbench101.graph import ALL_OPS, Cell, check_structure
from speechnas.nas.nasbench101.hashing import cell_hash
from speechnas.nas.nasbench101.payload import decode_metrics_b64, split_payload
from speechnas.nas.nasbench101.protobuf import ProtobufError, decode_model_metrics
from speechnas.nas.nasbench101.tfrecord import HEADER, RecordError, index_records
from speechnas.utils.progress import progress

METRIC_FIELDS = ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")
PAD = 255  # op code of a vertex beyond the cell's size
_OP_CODE = {op: k for k, op in enumerate(ALL_OPS)}


@dataclass
class Table:
    hashes: np.ndarray  # S16 raw MD5 digests, sorted
    num_vertices: np.ndarray  # uint8 [N]
    adjacency: np.ndarray  # uint64 [N], bit i*7+j set for an edge i -> j
    ops: np.ndarray  # uint8 [N, 7] op codes (index into ALL_OPS), PAD beyond num_vertices
    params: np.ndarray  # int64 [N], -1 where absent
    epochs: np.ndarray  # int32 [E], ascending
    metrics: np.ndarray  # float32/float64 [N, E, R, 2, 4]
    n_repeats: np.ndarray  # uint8 [N, E]
    num_records: int = 0
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.hashes)

    def hash_hex(self, row: int) -> str:
        return self.hashes[row : row + 1].view(np.uint8).tobytes().hex()

    def row_of(self, module_hash: str) -> int | None:
        """Row of a 32-character hex hash, or None when the benchmark does not hold it."""
        try:
            key = np.array([bytes.fromhex(module_hash)], dtype="S16")
        except ValueError:
            return None
        i = int(np.searchsorted(self.hashes, key[0]))
        return i if i < len(self.hashes) and self.hashes[i] == key[0] else None

    def cell(self, row: int) -> Cell:
        """The stored (pruned, canonical) cell of ``row``."""
        v = int(self.num_vertices[row])
        bits = int(self.adjacency[row])
        matrix = tuple(tuple((bits >> (i * 7 + j)) & 1 for j in range(v)) for i in range(v))
        return Cell(matrix, tuple(ALL_OPS[c] for c in self.ops[row, :v]))


def _parse_ops(ops: str) -> tuple[int, bytes]:
    """(num_vertices, 7 op codes padded with PAD) of a ``raw_operations`` string; ValueError names the problem."""
    names = ops.split(",")
    v = len(names)
    probe = Cell(tuple((0,) * v for _ in range(v)), tuple(names))
    why = check_structure(probe)
    if why:
        raise ValueError(f"raw_operations {ops!r}: {why}")
    return v, bytes([_OP_CODE[o] for o in names] + [PAD] * (7 - v))


def _upper_mask(v: int) -> int:
    return sum(1 << (i * v + j) for i in range(v) for j in range(i + 1, v))


_UPPER = {v: _upper_mask(v) for v in range(2, 8)}


def _parse_adjacency(adj: str, v: int) -> int:
    """Edge bits (bit i*7+j for i -> j) of a row-major '0'/'1' string for ``v`` vertices."""
    if len(adj) != v * v or adj.strip("01"):
        raise ValueError(f"raw_adjacency {adj!r} is not a {v}x{v} '0'/'1' matrix")
    raw = int(adj[::-1], 2)  # bit i*v+j
    if raw & ~_UPPER[v]:
        raise ValueError(f"raw_adjacency {adj!r} is not strictly upper triangular")
    if v == 7:
        return raw
    row = (1 << v) - 1
    return sum(((raw >> (i * v)) & row) << (i * 7) for i in range(v))


def read_tfrecord(path: str | os.PathLike, verify_crc: bool = True) -> Table:
    """Read ``nasbench_only108.tfrecord`` / ``nasbench_full.tfrecord`` (or any file in that format) into a Table.

    Any corrupt, truncated or malformed record raises :class:`RecordError` naming the record and byte offset.
    The stored hashes are taken as they are; :func:`verify_table_hashes` recomputes them.
    """
    path = os.fspath(path)
    size = os.path.getsize(path)
    if size == 0:
        raise RecordError(f"{path}: the file is empty (0 records)")
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        index = index_records(mm, path, verify=verify_crc)
        rows: dict[str, int] = {}
        row_hash: list[str] = []
        row_ops: list[bytes] = []
        row_params = array("q")
        nv_codes = bytearray()
        op_codes = bytearray()
        adj_bits = array("Q")
        op_table: dict[str, tuple[int, bytes]] = {}
        adj_table: dict[str, int] = {}
        epoch_ix: dict[int, int] = {}
        rec_row = array("q")
        rec_epoch = array("q")
        values = array("d")
        offsets, lengths = array("q", index.offsets.tobytes()), array("q", index.lengths.tobytes())
        for i in progress(range(len(offsets)), desc="NAS-Bench-101 records", unit="rec", mininterval=2.0):
            start = offsets[i] + HEADER
            try:
                h, ep, adj, ops, b64 = split_payload(mm[start:start + lengths[i]])
                row = rows.get(h)
                if row is None:
                    bytes.fromhex(h)
                    parsed = op_table.get(ops)
                    if parsed is None:
                        parsed = op_table[ops] = _parse_ops(ops)
                    bits = adj_table.get(adj)
                    if bits is None:
                        bits = adj_table[adj] = _parse_adjacency(adj, parsed[0])
                    elif len(adj) != parsed[0] * parsed[0]:
                        raise ValueError(f"raw_adjacency {adj!r} does not match the {parsed[0]} ops {ops!r}")
                    adj_bits.append(bits)
                    row = rows[h] = len(row_hash)
                    row_hash.append(h)
                    row_ops.append(parsed[1])
                    nv_codes.append(parsed[0])
                    op_codes += parsed[1]
                    row_params.append(-1)
                elif adj_table.get(adj) != adj_bits[row] or op_table.get(ops, (0, b""))[1] != row_ops[row]:
                    raise ValueError(f"hash {h} was stored earlier (record of row {row}) with another graph than "
                                     f"({adj}, {ops})")
                evals, params, _ = decode_model_metrics(decode_metrics_b64(b64))
                if len(evals) != 3:
                    raise ValueError(f"ModelMetrics has {len(evals)} evaluation_data entries, expected 3 "
                                     "(start, halfway, end of training)")
                if row_params[row] < 0 and params is not None:
                    row_params[row] = params
                e = epoch_ix.get(ep)
                if e is None:
                    e = epoch_ix[ep] = len(epoch_ix)
                values.extend(evals[1][1:])
                values.extend(evals[2][1:])
                rec_row.append(row)
                rec_epoch.append(e)
            except (ValueError, ProtobufError) as exc:
                raise RecordError(f"{path}: record {i} at byte offset {offsets[i]}: {exc}") from None
    return _assemble(row_hash, nv_codes, adj_bits, op_codes, row_params, epoch_ix, rec_row, rec_epoch, values,
                     num_records=len(offsets))


def verify_table_hashes(table: Table, source: str | os.PathLike) -> None:
    """Recompute every cell's official hash (about 0.1 ms per cell); RecordError names ``source`` and the first
    row whose stored hash differs, so a damaged file or cache cannot pass for the benchmark."""
    for row in progress(range(len(table)), desc="NAS-Bench-101 hashes", unit="cell", mininterval=2.0):
        cell = table.cell(row)
        stored, actual = table.hash_hex(row), cell_hash(cell)
        if actual != stored:
            raise RecordError(f"{os.fspath(source)}: stored hash {stored} (row {row}) does not match its graph "
                              f"({cell.adjacency_string()}, {','.join(cell.ops)}) whose hash is {actual}")


def _assemble(row_hash, nv_codes, adj_bits, op_codes, row_params, epoch_ix, rec_row, rec_epoch, values,
              num_records) -> Table:
    """Turn the per-record lists into hash-sorted, repeat-indexed arrays (scattered once, in final order)."""
    n_rows, n_ep = len(row_hash), len(epoch_ix)
    hashes = np.array([bytes.fromhex(h) for h in row_hash], dtype="S16")
    row_order = np.argsort(hashes, kind="stable")
    row_pos = np.empty(n_rows, dtype=np.int64)
    row_pos[row_order] = np.arange(n_rows)
    ep_values = np.array(list(epoch_ix), dtype=np.int32)
    ep_order = np.argsort(ep_values)
    ep_pos = np.empty(n_ep, dtype=np.int64)
    ep_pos[ep_order] = np.arange(n_ep)
    rr = row_pos[np.frombuffer(rec_row, dtype=np.int64)] if len(rec_row) else np.zeros(0, np.int64)
    re = ep_pos[np.frombuffer(rec_epoch, dtype=np.int64)] if len(rec_epoch) else np.zeros(0, np.int64)
    group = rr * n_ep + re
    order = np.argsort(group, kind="stable")  # stable: repeats keep file order
    g_sorted = group[order]
    pos = np.arange(len(group))
    first = np.ones(len(group), dtype=bool)
    first[1:] = g_sorted[1:] != g_sorted[:-1]
    repeat = np.empty(len(group), dtype=np.int64)
    repeat[order] = pos - np.maximum.accumulate(np.where(first, pos, 0))
    del order, g_sorted, pos, first
    n_rep = int(repeat.max()) + 1 if len(repeat) else 0
    vals = np.frombuffer(values, dtype=np.float64).reshape(-1, 8) if len(values) else np.zeros((0, 8))
    vals32 = vals.astype(np.float32)
    exact32 = np.array_equal(vals32.astype(np.float64), vals, equal_nan=True)  # the real files hold float32 values
    metrics = np.full((n_rows, n_ep, n_rep, 8), np.nan, dtype=np.float32 if exact32 else np.float64)
    metrics[rr, re, repeat] = vals32 if exact32 else vals
    del vals32
    n_repeats = np.bincount(group, minlength=n_rows * n_ep).reshape(n_rows, n_ep).astype(np.uint8)
    return Table(
        hashes=hashes[row_order],
        num_vertices=np.frombuffer(bytes(nv_codes), dtype=np.uint8)[row_order].copy(),
        adjacency=np.frombuffer(adj_bits, dtype=np.uint64)[row_order].copy(),
        ops=np.frombuffer(bytes(op_codes), dtype=np.uint8).reshape(n_rows, 7)[row_order].copy(),
        params=np.frombuffer(row_params, dtype=np.int64)[row_order].copy(),
        epochs=ep_values[ep_order],
        metrics=metrics.reshape(n_rows, n_ep, n_rep, 2, 4),
        n_repeats=n_repeats,
        num_records=num_records,
    )
