"""Kaldi data directories: sorted, validated, written whole; problems name the file and line."""
from __future__ import annotations

import pytest

from speechnas.data.kaldi import DataDirError, Utterance, read_scp, validate_data_dir, write_data_dir


def _utts(n=3, wav=True):
    return [Utterance(f"LJ00{i}-0001", f"text {i}", f"/x/{i}.wav" if wav else None, "LJ") for i in (3, 1, 2)[:n]]


def test_round_trip_sorted(tmp_path):
    d = write_data_dir(tmp_path / "train", _utts())
    assert sorted((d).iterdir()) == sorted(d / f for f in ["spk2utt", "text", "utt2spk", "wav.scp"])
    assert (d / "text").read_text().splitlines()[0].startswith("LJ001-0001 ")
    assert (d / "spk2utt").read_text() == "LJ LJ001-0001 LJ002-0001 LJ003-0001\n"
    assert read_scp(d / "wav.scp") == {"LJ001-0001": "/x/1.wav", "LJ002-0001": "/x/2.wav", "LJ003-0001": "/x/3.wav"}
    assert validate_data_dir(d, require_wav=True) == 3


def test_text_only_dir(tmp_path):
    d = write_data_dir(tmp_path / "eval", _utts(wav=False))
    assert not (d / "wav.scp").exists() and validate_data_dir(d) == 3
    with pytest.raises(DataDirError, match="wav.scp: file not found"):
        validate_data_dir(d, require_wav=True)


def test_rewrite_replaces_whole_dir(tmp_path):
    write_data_dir(tmp_path / "d", _utts(3))
    write_data_dir(tmp_path / "d", _utts(2))
    assert validate_data_dir(tmp_path / "d") == 2
    assert [p.name for p in tmp_path.iterdir()] == ["d"]  # no temp or backup folders left


def test_unsorted_file_named_with_line(tmp_path):
    d = write_data_dir(tmp_path / "d", _utts())
    lines = (d / "utt2spk").read_text().splitlines()
    (d / "utt2spk").write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    with pytest.raises(DataDirError, match=r"utt2spk line 2: not sorted"):
        validate_data_dir(d)


def test_mismatched_ids_and_duplicates(tmp_path):
    d = write_data_dir(tmp_path / "d", _utts())
    (d / "wav.scp").write_text("LJ001-0001 /x/1.wav\nLJ002-0001 /x/2.wav\n")
    with pytest.raises(DataDirError, match=r"wav.scp and text differ .*only in text: \['LJ003-0001'\]"):
        validate_data_dir(d)
    (d / "text").write_text("LJ001-0001 a\nLJ001-0001 b\n")
    with pytest.raises(DataDirError, match=r"text line 2: duplicate key 'LJ001-0001' \(first on line 1\)"):
        read_scp(d / "text")
    with pytest.raises(DataDirError, match="duplicate utterance ids"):
        write_data_dir(tmp_path / "e", _utts() + _utts(1))
