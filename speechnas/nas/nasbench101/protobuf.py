"""A hand-written decoder (and encoder) for the benchmark's ``nasbench.ModelMetrics`` protobuf; no protobuf package.

ModelMetrics: 1 evaluation_data (repeated message), 2 trainable_parameters (int32 varint), 3 total_time (double).
EvaluationData: 1 current_epoch, 2 training_time, 3 train_accuracy, 4 validation_accuracy, 5 test_accuracy
(doubles), 6 checkpoint_path (string). Unknown fields are skipped; malformed bytes raise :class:`ProtobufError`.
"""
from __future__ import annotations

import math
import struct
from typing import Sequence

EVAL_FIELDS = ("current_epoch", "training_time", "train_accuracy", "validation_accuracy", "test_accuracy")

_unpack_double = struct.Struct("<d").unpack_from
_unpack_full_eval = struct.Struct("<BdBdBdBdBd").unpack_from  # the usual 45-byte EvaluationData body
_FULL_EVAL_KEYS = (0x09, 0x11, 0x19, 0x21, 0x29)
_unpack_three_evals = struct.Struct("<" + "BBBdBdBdBdBd" * 3).unpack_from  # three of them, framed
_THREE_KEYS = (0x0A, 0x09, 0x11, 0x19, 0x21, 0x29) * 3
_NAN = math.nan


class ProtobufError(ValueError):
    """The bytes are not a well-formed ModelMetrics message; the message says at which byte."""


def _varint(buf: bytes, i: int, end: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if i >= end:
            raise ProtobufError(f"varint runs past the end of its message at byte {i}")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ProtobufError(f"varint longer than 10 bytes ending at byte {i}")


def _skip(buf: bytes, i: int, end: int, wire: int, key_at: int) -> int:
    if wire == 0:
        return _varint(buf, i, end)[1]
    if wire == 1:
        i += 8
    elif wire == 5:
        i += 4
    elif wire == 2:
        n, i = _varint(buf, i, end)
        i += n
    else:
        raise ProtobufError(f"unsupported wire type {wire} at byte {key_at}")
    if i > end:
        raise ProtobufError(f"field at byte {key_at} runs past the end of its message")
    return i


def _evaluation(buf: bytes, i: int, end: int) -> list[float]:
    """Decode one EvaluationData into [current_epoch, training_time, train, valid, test] (NaN where absent)."""
    out = [_NAN, _NAN, _NAN, _NAN, _NAN]
    while i < end:
        key_at = i
        key = buf[i]
        i += 1
        if key >= 0x80:
            key, i = _varint(buf, key_at, end)
        field, wire = key >> 3, key & 7
        if wire == 1 and 1 <= field <= 5:
            if i + 8 > end:
                raise ProtobufError(f"double at byte {key_at} runs past the end of its message")
            out[field - 1] = _unpack_double(buf, i)[0]
            i += 8
        else:
            i = _skip(buf, i, end, wire, key_at)
    return out


def decode_model_metrics(buf: bytes) -> tuple[list[list[float]], int | None, float]:
    """``(evaluations, trainable_parameters, total_time)``; each evaluation is ordered as :data:`EVAL_FIELDS`.

    Absent doubles are NaN (never a silent 0.0); absent parameters are None.
    """
    evals: list[list[float]] = []
    params = None
    total = _NAN
    i, end = 0, len(buf)
    if end >= 141 and buf[1] == 45 and buf[48] == 45 and buf[95] == 45:  # the usual layout, in one C call
        f = _unpack_three_evals(buf, 0)
        if f[0::2] == _THREE_KEYS:
            evals = [list(f[3:12:2]), list(f[15:24:2]), list(f[27:36:2])]
            i = 141
    while i < end:
        key_at = i
        key = buf[i]
        if key == 0x0A and i + 47 <= end and buf[i + 1] == 45:  # fast path: all five doubles, in field order
            fields = _unpack_full_eval(buf, i + 2)
            if fields[0::2] == _FULL_EVAL_KEYS:
                evals.append(list(fields[1::2]))
                i += 47
                continue
        i += 1
        if key >= 0x80:
            key, i = _varint(buf, key_at, end)
        if key == 0x0A:  # field 1, length-delimited
            n, i = _varint(buf, i, end)
            if i + n > end:
                raise ProtobufError(f"evaluation_data at byte {key_at} runs past the end of the message")
            evals.append(_evaluation(buf, i, i + n))
            i += n
        elif key == 0x10:  # field 2, varint (int32: negative values use 10 bytes)
            params, i = _varint(buf, i, end)
            if params >= 1 << 63:
                params -= 1 << 64
        elif key == 0x19:  # field 3, fixed64 double
            if i + 8 > end:
                raise ProtobufError(f"total_time at byte {key_at} runs past the end of the message")
            total = _unpack_double(buf, i)[0]
            i += 8
        else:
            i = _skip(buf, i, end, key & 7, key_at)
    return evals, params, total


def _put_varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_model_metrics(evaluations: Sequence[Sequence[float]], trainable_parameters: int | None,
                         total_time: float | None = None, checkpoint_paths: Sequence[str] | None = None) -> bytes:
    """Serialise like protobuf does (fields in number order); NaN or None doubles are left out."""
    out = bytearray()
    for k, ev in enumerate(evaluations):
        body = bytearray()
        for f, value in enumerate(ev, start=1):
            if value is not None and not math.isnan(value):
                body.append((f << 3) | 1)
                body += struct.pack("<d", value)
        if checkpoint_paths is not None and checkpoint_paths[k]:
            path = checkpoint_paths[k].encode("utf-8")
            body += b"\x32" + _put_varint(len(path)) + path
        out += b"\x0a" + _put_varint(len(body)) + body
    if trainable_parameters is not None:
        out += b"\x10" + _put_varint(int(trainable_parameters))
    if total_time is not None and not math.isnan(total_time):
        out += b"\x19" + struct.pack("<d", total_time)
    return bytes(out)
