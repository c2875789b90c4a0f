"""NAS-Bench-101 reader: exact decoding of the real fixture, CRC and truncation errors with offsets, protobuf, cache."""
from __future__ import annotations

import json
import math
import os
import re
import struct

import numpy as np
import pytest

from conftest import shared_path
from speechnas.nas.nasbench101 import NasBench101, RecordError
from speechnas.nas.nasbench101 import cache as cache_mod
from speechnas.nas.nasbench101.crc32c import crc32c, crc32c_many, masked_crc32c
from speechnas.nas.nasbench101.graph import Cell
from speechnas.nas.nasbench101.payload import format_payload
from speechnas.nas.nasbench101.protobuf import ProtobufError, decode_model_metrics, encode_model_metrics
from speechnas.nas.nasbench101.table import read_tfrecord, verify_table_hashes
from speechnas.nas.nasbench101.tfrecord import frame, frame_many, index_records, write_records

FIELDS = ("training_time", "train_accuracy", "validation_accuracy", "test_accuracy")


@pytest.fixture(scope="module")
def fixture_bytes() -> bytes:
    return shared_path("data", "nasbench", "nb101_fixture_only108.tfrecord").read_bytes()


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return json.loads(shared_path("data", "nasbench", "nb101_30_full_records.json").read_text())


def _record_starts(data: bytes) -> list[int]:
    starts, off = [], 0
    while off < len(data):
        starts.append(off)
        off += 16 + struct.unpack_from("<Q", data, off)[0]
    return starts


# -- exact decoding ------------------------------------------------------------------------------------------------
def test_fixture_decodes_to_the_json_values_exactly(fixture_bytes, records, tmp_path):
    path = tmp_path / "nasbench_only108.tfrecord"
    path.write_bytes(fixture_bytes)
    table = read_tfrecord(path)
    verify_table_hashes(table, path)  # the official hash of every stored graph
    assert (len(table), table.num_records, list(table.epochs)) == (30, 90, [108])
    for rec in records:
        row = table.row_of(rec["hash"])
        assert row is not None and table.hash_hex(row) == rec["hash"]
        cell = table.cell(row)
        assert [list(r) for r in cell.matrix] == rec["module_adjacency"]
        assert list(cell.ops) == rec["module_operations"]
        assert int(table.params[row]) == rec["trainable_parameters"]
        reps = rec["epochs"]["108"]
        assert int(table.n_repeats[row, 0]) == len(reps) == 3
        for k, rep in enumerate(reps):  # repeats in file order, every field bit-exact
            for p, point in enumerate(("halfway", "final")):
                for f, name in enumerate(FIELDS):
                    assert float(table.metrics[row, 0, k, p, f]) == rep[f"{point}_{name}"]


# -- corruption and truncation ---------------------------------------------------------------------------------------
def _check_flip(data: bytes, pos: int, path: str = "x.tfrecord") -> str:
    bad = bytearray(data)
    bad[pos] ^= 0xFF
    with pytest.raises(RecordError) as err:
        index_records(bytes(bad), path)
    return str(err.value)


@pytest.mark.parametrize("part, delta", [("length", 0), ("length", 7), ("length_crc", 8), ("length_crc", 11),
                                         ("payload", 12), ("payload", 150), ("payload_crc", -1), ("payload_crc", -4)])
@pytest.mark.parametrize("record", [0, 41, 89])
def test_flipped_byte_names_record_and_offset(fixture_bytes, part, delta, record):
    starts = _record_starts(fixture_bytes)
    start = starts[record]
    end = starts[record + 1] if record + 1 < len(starts) else len(fixture_bytes)
    pos = end + delta if part == "payload_crc" else start + delta
    msg = _check_flip(fixture_bytes, pos)
    assert f"record {record} at byte offset {start}" in msg
    assert ("length CRC" in msg) == (part in ("length", "length_crc")), msg
    lo, hi = (int(x) for x in re.search(r"over bytes (\d+)\.\.(\d+)", msg).groups())
    assert lo <= pos <= hi


def test_every_byte_of_a_record_is_covered(fixture_bytes):
    starts = _record_starts(fixture_bytes)
    for pos in range(starts[5], starts[6]):
        assert "record 5 at byte offset" in _check_flip(fixture_bytes, pos)


def test_flip_is_reported_through_the_reader(fixture_bytes, tmp_path):
    bad = bytearray(fixture_bytes)
    bad[20000] ^= 0x01
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(bytes(bad))
    with pytest.raises(RecordError, match=rf"{path}: record \d+ at byte offset \d+: payload CRC mismatch"):
        NasBench101.load(path)
    assert not cache_mod.default_cache_path(path).exists()


@pytest.mark.parametrize("cut", [5, 12, 200, -3])
def test_truncated_file_names_the_record(fixture_bytes, cut):
    starts = _record_starts(fixture_bytes)
    size = (starts[-1] + cut) if cut > 0 else len(fixture_bytes) + cut
    with pytest.raises(RecordError, match=rf"record 89 at byte offset {starts[-1]}: truncated"):
        index_records(fixture_bytes[:size], "x")


def test_empty_file(tmp_path):
    (tmp_path / "e.tfrecord").write_bytes(b"")
    with pytest.raises(RecordError, match="empty"):
        read_tfrecord(tmp_path / "e.tfrecord")


CELL = Cell.from_lists([[0, 1, 0], [0, 0, 1], [0, 0, 0]], ["input", "maxpool3x3", "output"])
EVALS = [[0.0, math.nan, math.nan, math.nan, math.nan], [54.0, 10.5, 0.5, 0.4, 0.3], [108.0, 21.0, 0.9, 0.8, 0.7]]


@pytest.mark.parametrize("payload, why", [
    (b"not json", "not UTF-8 JSON"),
    (json.dumps(["a" * 32, 108, "010001000", "input,maxpool3x3,output"]).encode(), "5-element"),
    (json.dumps(["0" * 32, 108, "010100000", "input,maxpool3x3,output", ""]).encode(), "strictly upper triangular"),
    (json.dumps(["0" * 32, 108, "001001000", "input,conv5x5,output", ""]).encode(), "unknown interior op"),
    (json.dumps(["0" * 32, 108, "001001000", "input,maxpool3x3,output", "CgkJ"]).encode(), "runs past the end"),
    (json.dumps(["0" * 32, 108, "001001000", "input,maxpool3x3,output", "!!"]).encode(), "base64"),
])
def test_malformed_payload_with_good_crc(tmp_path, payload, why):
    good = format_payload("f" * 32, 108, CELL, EVALS, 1234)
    path = tmp_path / "m.tfrecord"
    path.write_bytes(frame(good) + frame(payload))
    with pytest.raises(RecordError, match=rf"record 1 at byte offset {len(frame(good))}: .*{why}"):
        read_tfrecord(path)


# -- building blocks ---------------------------------------------------------------------------------------------------
def test_crc32c_known_values_and_vectorised_form():
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    rng = np.random.default_rng(0)
    buf = rng.integers(0, 256, 5000, dtype=np.uint8)
    starts = rng.integers(0, 4000, 300)
    lengths = rng.integers(0, 900, 300).clip(max=5000 - starts)
    got = crc32c_many(buf, starts, lengths, chunk=64)
    assert [int(g) for g in got] == [crc32c(buf[s:s + n].tobytes()) for s, n in zip(starts, lengths)]
    payloads = [rng.bytes(int(n)) for n in rng.integers(0, 300, 50)]
    assert frame_many(payloads) == b"".join(frame(p) for p in payloads)
    assert frame(b"x")[8:12] == struct.pack("<I", masked_crc32c(struct.pack("<Q", 1)))


def test_protobuf_round_trip_unknown_fields_and_errors():
    msg = encode_model_metrics(EVALS, 2_694_282, 1155.85, checkpoint_paths=["", "gs://a/b", ""])
    evals, params, total = decode_model_metrics(msg)
    assert params == 2_694_282 and total == 1155.85
    assert np.array_equal(np.array(evals), np.array(EVALS), equal_nan=True)  # absent doubles are NaN, not 0.0
    unknown = b"\x20\x05" + b"\x2d\x01\x02\x03\x04" + b"\x3a\x02hi"  # varint, fixed32, string fields 4, 5, 7
    assert decode_model_metrics(unknown + msg)[1] == 2_694_282
    assert decode_model_metrics(encode_model_metrics([], -5))[1] == -5  # int32 negatives use 10-byte varints
    for broken in (msg[:-3], b"\x0a\x7f\x09", b"\x0b"):
        with pytest.raises(ProtobufError):
            decode_model_metrics(broken)


def test_write_records_round_trips_through_the_reader(tmp_path):
    path = tmp_path / "w.tfrecord"
    n = write_records(path, [format_payload("ab" * 16, 108, CELL, EVALS, 99)] * 2, batch=1)
    table = read_tfrecord(path)
    assert n == 2 and len(table) == 1 and table.n_repeats[0, 0] == 2 and table.params[0] == 99
    assert table.metrics[0, 0, 1, 1].tolist() == [21.0, 0.9, 0.8, 0.7]


def test_hash_with_trailing_zero_bytes_round_trips(tmp_path):
    path = tmp_path / "z.tfrecord"
    hashes = ["ab" * 14 + "0000", "00" * 16, "ff" * 15 + "00"]
    write_records(path, [format_payload(h, 108, CELL, EVALS, 7) for h in hashes])
    table = read_tfrecord(path)
    assert sorted(table.hash_hex(r) for r in range(3)) == sorted(hashes)
    assert [table.hash_hex(table.row_of(h)) for h in hashes] == hashes and table.row_of("ab" * 16) is None


# -- cache -------------------------------------------------------------------------------------------------------------------
def test_cache_is_used_then_rebuilt_when_the_source_changes(fixture_bytes, tmp_path, monkeypatch):
    path = tmp_path / "nasbench_only108.tfrecord"
    path.write_bytes(fixture_bytes)
    first = NasBench101.load(path)
    cache = cache_mod.default_cache_path(path)
    assert cache.is_file()
    meta = cache_mod.read_cache_meta(cache)
    assert meta["source_size"] == len(fixture_bytes) and len(meta["source_sha256"]) == 64

    calls = []
    real = cache_mod.read_tfrecord
    monkeypatch.setattr(cache_mod, "read_tfrecord", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = NasBench101.load(path)
    assert calls == [] and np.array_equal(again.table.metrics, first.table.metrics)
    os.utime(path, ns=(1, 1))  # touched, same content: checksum matches, no rebuild
    NasBench101.load(path)
    assert calls == []

    # a different file (other size): rebuilt
    row = 0
    cell, reps, h, params = first.cell(row), first.repeats(row), first.hash_of(row), first.params(row)

    def payloads(valid0: float) -> list[bytes]:
        out = []
        for k in range(3):
            final = [108.0, reps[k, 0], reps[k, 1], valid0 if k == 0 else reps[k, 2], reps[k, 3]]
            out.append(format_payload(h, 108, cell, [[0.0] + [math.nan] * 4, [54.0] + [0.5] * 4, final], params))
        return out

    write_records(path, payloads(0.125))
    size = path.stat().st_size
    assert NasBench101.load(path).repeats(row)[0, 2] == 0.125 and len(calls) == 1
    # same size, one accuracy changed: the checksum differs, rebuilt again
    write_records(path, payloads(0.25))
    assert path.stat().st_size == size
    assert NasBench101.load(path).repeats(row)[0, 2] == 0.25 and len(calls) == 2


def test_damaged_cache_is_rebuilt(fixture_bytes, tmp_path):
    path = tmp_path / "f.tfrecord"
    path.write_bytes(fixture_bytes)
    NasBench101.load(path)
    cache = cache_mod.default_cache_path(path)
    cache.write_bytes(cache.read_bytes()[:5000])
    assert len(NasBench101.load(path)) == 30 and cache_mod.read_cache_meta(cache) is not None


def test_unwritable_cache_location_still_loads(fixture_bytes, tmp_path, caplog):
    path = tmp_path / "f.tfrecord"
    path.write_bytes(fixture_bytes)
    blocker = tmp_path / "file_not_dir"
    blocker.write_text("x")
    bench = NasBench101.load(path, cache_path=blocker / "c.npz")
    assert len(bench) == 30 and "could not write" in caplog.text


def test_synthetic_files_read_back(tmp_path):
    from speechnas.nas.nasbench101.synthetic import write_searchable, write_synthetic

    write_synthetic(tmp_path / "s.tfrecord", num_cells=40, seed=1)
    table = read_tfrecord(tmp_path / "s.tfrecord")
    assert (len(table), table.num_records, table.metrics.dtype) == (40, 120, np.float32)
    assert write_searchable(tmp_path / "v.tfrecord", num_cells=25) == 75
    searchable = read_tfrecord(tmp_path / "v.tfrecord")
    verify_table_hashes(searchable, tmp_path / "v.tfrecord")  # real hashes of valid cells
    assert len(searchable) == 25
    with pytest.raises(RecordError, match=r"s\.tfrecord: stored hash [0-9a-f]{32} \(row 0\) does not match"):
        verify_table_hashes(table, tmp_path / "s.tfrecord")  # random hashes


def test_verify_hashes_checks_a_current_cache_too(fixture_bytes, tmp_path):
    path = tmp_path / "f.tfrecord"
    path.write_bytes(fixture_bytes)
    table = NasBench101.load(path, verify_hashes=True).table  # read from the file, checked, cached
    cache = cache_mod.default_cache_path(path)
    tampered = bytearray.fromhex(table.hash_hex(5))
    tampered[-1] ^= 0x01  # one bit of row 5's hash (still sorted: neighbouring hashes differ earlier)
    table.hashes[5] = bytes(tampered)
    cache_mod.save_cache(table, cache)
    assert cache_mod.stale_reason(path, cache) is None  # the cache is current: the file is not read again
    assert NasBench101.load(path).hash_of(5) == bytes(tampered).hex()  # without the check it passes
    with pytest.raises(RecordError, match=rf"{re.escape(str(cache))} \(the cache of .*\): stored hash "
                                          rf"{bytes(tampered).hex()} \(row 5\) does not match"):
        NasBench101.load(path, verify_hashes=True)
