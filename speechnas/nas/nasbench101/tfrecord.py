"""TFRecord framing without TensorFlow: index a file's records, verify both masked CRC-32Cs, and write records.

Each record is ``uint64 length | uint32 masked_crc(length bytes) | payload | uint32 masked_crc(payload)``
(little endian). Every problem is reported as :class:`RecordError` with the file, record number and byte offset.
"""
from __future__ import annotations

import os
import struct
from array import array
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from speechnas.nas.nasbench101.crc32c import crc32c_many, mask, masked_crc32c
from speechnas.utils.io import atomic_open

HEADER = 12  # length (8) + length CRC (4)
FOOTER = 4  # payload CRC
_unpack_len = struct.Struct("<Q").unpack_from


class RecordError(ValueError):
    """A TFRecord file is corrupt or truncated (the message names the file, record and byte offset)."""


@dataclass
class RecordIndex:
    """Where each record's payload lies: record i starts at ``offsets[i]``; its payload at ``offsets[i] + 12``."""

    offsets: np.ndarray  # int64
    lengths: np.ndarray  # int64 payload lengths

    def __len__(self) -> int:
        return len(self.offsets)


def _u32_at(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Little-endian uint32 read at arbitrary (unaligned) offsets."""
    b = [buf[at + k].astype(np.uint32) for k in range(4)]
    return b[0] | (b[1] << np.uint32(8)) | (b[2] << np.uint32(16)) | (b[3] << np.uint32(24))


def index_records(data, path: str | os.PathLike = "<buffer>", verify: bool = True) -> RecordIndex:
    """Walk the framing of ``data`` (bytes, mmap or uint8 array) and check every CRC.

    The walk is sequential; the CRC checks run vectorised afterwards, and the first bad record in file order is
    reported, so a corrupt length field is named as such rather than as a truncation further on.
    """
    view = memoryview(data)
    try:
        index, stop = _walk(view)
        problem = _first_problem(view, index, stop, verify)
    finally:
        view.release()  # no buffer export may outlive this call (the caller closes its mmap)
    if problem:
        raise RecordError(f"{path}: {problem}")
    return index


def _walk(view: memoryview) -> tuple[RecordIndex, tuple[int, int, str] | None]:
    """Record offsets and lengths, and (record, offset, why) where the framing could not go on."""
    size = len(view)
    offsets = array("q")
    lengths = array("q")
    stop = None
    off = 0
    while off < size:
        if size - off < HEADER:
            stop = (len(offsets), off, f"truncated: {size - off} bytes left, a record header needs {HEADER}")
            break
        (n,) = _unpack_len(view, off)
        if n > size - off - HEADER - FOOTER:
            stop = (len(offsets), off, f"truncated: the header announces a {n}-byte payload but only "
                                       f"{max(size - off - HEADER - FOOTER, 0)} bytes follow before the last CRC")
            break
        offsets.append(off)
        lengths.append(n)
        off += HEADER + n + FOOTER
    index = RecordIndex(np.frombuffer(offsets, dtype=np.int64).copy(), np.frombuffer(lengths, dtype=np.int64).copy())
    return index, stop


def _first_problem(view: memoryview, index: RecordIndex, stop, verify: bool) -> str | None:
    """Message for the first bad record in file order (CRC mismatch or truncation), or None."""
    if not verify and stop is None:
        return None
    buf = np.frombuffer(view, dtype=np.uint8)
    size = len(buf)
    heads = index.offsets
    if stop is not None and size - stop[1] >= HEADER:  # the failing record's length field can be checked too
        heads = np.append(heads, stop[1])
    bad_len = np.flatnonzero(mask(crc32c_many(buf, heads, np.full(len(heads), 8))) != _u32_at(buf, heads + 8))
    bad_len_at = int(bad_len[0]) if len(bad_len) else None
    bad_pay_at = None
    if verify:
        pay_crc = mask(crc32c_many(buf, index.offsets + HEADER, index.lengths))
        bad_pay = np.flatnonzero(pay_crc != _u32_at(buf, index.offsets + HEADER + index.lengths))
        bad_pay_at = int(bad_pay[0]) if len(bad_pay) else None
    candidates = [i for i in (bad_len_at, bad_pay_at) if i is not None]
    if candidates:
        i = min(candidates)
        o = int(heads[i])
        if i == bad_len_at:
            return (f"record {i} at byte offset {o}: length CRC mismatch over bytes {o}..{o + HEADER - 1} "
                    "(length and its CRC); the file is corrupt")
        n = int(index.lengths[i])
        return (f"record {i} at byte offset {o}: payload CRC mismatch over bytes "
                f"{o + HEADER}..{o + HEADER + n + FOOTER - 1} (payload and its CRC); the file is corrupt")
    if stop is not None:
        return f"record {stop[0]} at byte offset {stop[1]}: {stop[2]}; the file is incomplete (download it again)"
    return None


def frame(payload: bytes) -> bytes:
    """One framed record."""
    head = struct.pack("<Q", len(payload))
    return head + struct.pack("<I", masked_crc32c(head)) + payload + struct.pack("<I", masked_crc32c(payload))


def frame_many(payloads: list[bytes]) -> bytes:
    """Frame many records at once (vectorised CRCs); equal to ``b"".join(map(frame, payloads))``."""
    if not payloads:
        return b""
    lengths = np.fromiter((len(p) for p in payloads), dtype=np.int64, count=len(payloads))
    len_bytes = lengths.astype("<u8").view(np.uint8)
    len_crc = mask(crc32c_many(len_bytes, np.arange(len(payloads), dtype=np.int64) * 8, np.full(len(payloads), 8)))
    joined = np.frombuffer(b"".join(payloads), dtype=np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    pay_crc = mask(crc32c_many(joined, starts, lengths))
    heads = np.empty(len(payloads), dtype=[("n", "<u8"), ("crc", "<u4")])
    heads["n"] = lengths
    heads["crc"] = len_crc
    head_bytes = heads.tobytes()
    tail_bytes = pay_crc.astype("<u4").tobytes()
    parts = []
    for k, p in enumerate(payloads):
        parts.append(head_bytes[k * HEADER:(k + 1) * HEADER])
        parts.append(p)
        parts.append(tail_bytes[k * FOOTER:(k + 1) * FOOTER])
    return b"".join(parts)


def write_records(path: str | os.PathLike, payloads: Iterable[bytes], batch: int = 1 << 16) -> int:
    """Write a TFRecord file atomically; returns the number of records."""
    count = 0
    with atomic_open(path, "wb") as f:
        chunk: list[bytes] = []
        for p in payloads:
            chunk.append(p)
            if len(chunk) >= batch:
                f.write(frame_many(chunk))
                count += len(chunk)
                chunk = []
        f.write(frame_many(chunk))
        count += len(chunk)
    return count
