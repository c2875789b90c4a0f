"""Bad input: each problem fails with the file and line (or wav) named; --skip-bad lists them instead."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from speechnas.audio.io import write_wav
from speechnas.data.config import DataConfig
from speechnas.data.ljspeech import CorpusError, load_corpus, read_metadata
from speechnas.data.prepare import prepare_data


def _corpus(tmp_path: Path, lines: list[str], wavs=None) -> Path:
    root = tmp_path / "corpus"
    (root / "wavs").mkdir(parents=True)
    (root / "metadata.csv").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    for utt in wavs if wavs is not None else [line.split("|")[0] for line in lines]:
        write_wav(root / "wavs" / f"{utt}.wav", 0.1 * np.sin(np.arange(4000) / 5.0), 22050)
    return root


GOOD = ["LJ001-0001|Hello there.|Hello there.", "LJ001-0002|Second one.|Second one."]


def test_malformed_line_number_and_content(tmp_path):
    root = _corpus(tmp_path, GOOD + ["LJ001-0003|only two fields"], wavs=["LJ001-0001", "LJ001-0002"])
    with pytest.raises(CorpusError, match=r"metadata.csv line 3: expected 3 .*got 2: 'LJ001-0003\|only two fields'"):
        read_metadata(root / "metadata.csv")


def test_empty_transcript(tmp_path):
    root = _corpus(tmp_path, GOOD + ["LJ001-0003||"])
    with pytest.raises(CorpusError, match=r"line 3: empty transcript for LJ001-0003"):
        read_metadata(root / "metadata.csv")


def test_duplicate_ids(tmp_path):
    root = _corpus(tmp_path, GOOD + ["LJ001-0001|Again.|Again."], wavs=["LJ001-0001", "LJ001-0002"])
    with pytest.raises(CorpusError, match=r"line 3: duplicate utterance id 'LJ001-0001', first on line 1 "
                                          r"\(line 1: 'LJ001-0001\|Hello there.\|Hello there.'; line 3: "):
        read_metadata(root / "metadata.csv")
    rows, skipped = read_metadata(root / "metadata.csv", skip_bad=True)  # the first line is kept
    assert [(r.line, r.utt_id) for r in rows] == [(1, "LJ001-0001"), (2, "LJ001-0002")]
    assert [s.key for s in skipped] == ["line 3"]


def test_missing_unreadable_and_truncated_wav(tmp_path):
    root = _corpus(tmp_path, GOOD)
    good = (root / "wavs" / "LJ001-0002.wav").read_bytes()
    (root / "wavs" / "LJ001-0002.wav").unlink()
    with pytest.raises(CorpusError, match=r"line 2 \(LJ001-0002\): .*LJ001-0002.wav: audio file not found"):
        load_corpus(root)
    (root / "wavs" / "LJ001-0002.wav").write_bytes(b"this is not audio at all" * 10)
    with pytest.raises(CorpusError, match=r"LJ001-0002.wav: not a readable audio file"):
        load_corpus(root)
    (root / "wavs" / "LJ001-0002.wav").write_bytes(good[: len(good) // 2])
    with pytest.raises(CorpusError, match=r"LJ001-0002.wav: truncated: data chunk declares 8000 bytes but only"):
        load_corpus(root)


def test_unmappable_characters_counted_and_reported(tmp_path):
    root = _corpus(tmp_path, GOOD + ["LJ001-0003|Привет мир.|Привет мир.", "LJ001-0004|Ok ж.|Ok ж."])
    with pytest.raises(CorpusError, match=r"in 2 utterance\(s\).*'и' \(U\+0438, 2x\).*'ж' \(U\+0436, 1x\)"):
        load_corpus(root)


def test_skip_bad_writes_list_and_keeps_good(tmp_path):
    lines = GOOD + [f"LJ002-{i:04d}|Line {i}.|Line {i}." for i in range(1, 9)]
    root = _corpus(tmp_path, lines + ["broken line", "LJ003-0001|Ok ж.|Ok ж.", "LJ003-0002|Fine.|Fine."],
                   wavs=[line.split("|")[0] for line in lines] + ["LJ003-0001"])
    with pytest.raises(CorpusError):
        prepare_data(root, tmp_path / "data", "x", "full", DataConfig())
    assert not (tmp_path / "data" / "x_train").exists()  # nothing half-written
    res = prepare_data(root, tmp_path / "data", "x", "full", DataConfig(), skip_bad=True)
    skipped = (tmp_path / "data" / "x_skipped.txt").read_text().splitlines()
    assert [s.split("\t")[0] for s in skipped] == ["line 11", "LJ003-0001", "LJ003-0002"]
    assert "audio file not found" in skipped[2] and "cannot map" in skipped[1]
    assert sum(res["sizes"][s] for s in ("train", "dev", "eval")) == 10 and res["sizes"]["hard"] == 109
    shutil.rmtree(tmp_path / "data")
