"""Tabular evaluator: lookups, report-only metrics, clear errors for a missing or malformed table."""
from __future__ import annotations

import numpy as np
import pytest

from speechnas.nas.evaluators.tabular import TableError, TabularEvaluator
from speechnas.nas.spaces.nasbench201 import NasBench201Space
from conftest import shared_path

ROWS = [
    ("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|", "90.1", "93.9"),
    ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", "10.0", "10.0"),
]


def write_table(path, rows, header="arch_index,arch_str,valid_acc,test_acc"):
    lines = [header] + [f"{i},{a},{v},{t}" for i, (a, v, t) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_lookup_returns_search_and_report_metrics(tmp_path):
    space = NasBench201Space()
    ev = TabularEvaluator(space, write_table(tmp_path / "t.csv", ROWS), cost_per_query=2.0)
    res = ev.evaluate([space.from_str(ROWS[1][0]), space.from_str(ROWS[0][0])])
    assert [r.metrics for r in res] == [{"valid_acc": 10.0, "test_acc": 10.0}, {"valid_acc": 90.1, "test_acc": 93.9}]
    assert [r.cost for r in res] == [2.0, 2.0] and ev.search_metric == "valid_acc"
    with pytest.raises(KeyError, match="not in the table"):
        ev.evaluate([("skip_connect",) * 6])


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p.unlink(), "does not exist"),
    (lambda p: write_table(p, ROWS, header="arch_index,arch_str,valid,test_acc"), r"t.csv:1: missing column\(s\) \['valid_acc'\]"),
    (lambda p: write_table(p, [ROWS[0], (ROWS[1][0], "n/a", "10")]), r"t.csv:3: column 'valid_acc' is not a number"),
    (lambda p: write_table(p, [ROWS[0], (ROWS[1][0].replace("none~2", "conv9~2"), "1", "1")]), r"t.csv:3: column 'arch_str'.*unknown op 'conv9'"),
    (lambda p: write_table(p, [ROWS[0], ROWS[0]]), r"t.csv:3: architecture .* appears twice"),
    (lambda p: write_table(p, []), "no rows"),
])
def test_malformed_table_errors_name_file_and_line(tmp_path, mutate, message):
    path = write_table(tmp_path / "t.csv", ROWS)
    mutate(path)
    with pytest.raises(TableError, match=message):
        TabularEvaluator(NasBench201Space(), path)


def test_expected_row_count(tmp_path):
    with pytest.raises(TableError, match="expected 15625 architectures, found 2"):
        TabularEvaluator(NasBench201Space(), write_table(tmp_path / "t.csv", ROWS), expected_rows=15625)


def test_real_nasbench201_table():
    table = shared_path("data", "nasbench", "nb201_cifar10.csv")
    space = NasBench201Space()
    ev = TabularEvaluator(space, table, expected_rows=15625)
    archs = ev.archs()
    valid = np.array([ev.metric(a) for a in archs])
    best = archs[int(valid.argmax())]
    assert valid.max() == pytest.approx(91.57) and ev.metric(best, "test_acc") == pytest.approx(94.2967, abs=1e-3)
    assert max(ev.metric(a, "test_acc") for a in archs) == pytest.approx(94.3733, abs=1e-3)
