"""Stages 1 and 2 as library calls: corpus -> Kaldi data directories -> features, token list and statistics.

Layout (``<prefix>``: the setting, ``espeak_<setting>`` or ``mini_<setting>`` on the eSpeak NG corpus):
``<data>/<prefix>_{train,dev,eval,hard}/`` Kaldi dirs (``hard``: the project's hard sentences, with their rendered
references on the eSpeak NG corpus, in every setting; the robustness setting's eval set), ``<data>/<prefix>_split.json``
(the split and its seed), ``<data>/<prefix>_skipped.txt`` (utterances left out by ``skip_bad``);
``<dump>/<prefix>/<set>/{feats.scp,feats_shape,token}``, ``<dump>/<prefix>/{tokens.txt,length_stats.json}``,
``<dump>/<prefix>/feats_stats.npz`` (train set), with the ``.npy`` files shared by all settings of one corpus in
``<dump>/<corpus>_feats/`` (so a second setting reuses the first one's features).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from speechnas.data.config import DataConfig
from speechnas.data.corpus import hard_sentences
from speechnas.data.features import compute_stats, features_complete, make_features, save_stats, stats_usable
from speechnas.data.kaldi import DataDirError, Utterance, read_scp, validate_data_dir, write_data_dir
from speechnas.data.ljspeech import load_corpus
from speechnas.data.splits import make_split
from speechnas.text.tokens import TextFrontend, TokenList, read_token_file, write_token_file
from speechnas.utils.config import to_dict
from speechnas.utils.io import atomic_write_json, atomic_write_text
from speechnas.utils.progress import progress

log = logging.getLogger(__name__)
SETS = ("train", "dev", "eval", "hard")  # hard: the hard sentences (eval part), in every setting


def _record(corpus_dir: Path, setting: str, cfg: DataConfig, mini: bool, skip_bad: bool) -> dict:
    meta = (corpus_dir / "metadata.csv").read_bytes()
    return {"corpus_dir": str(corpus_dir.resolve()), "metadata_sha256": hashlib.sha256(meta).hexdigest(),
            "setting": setting, "mini": mini, "skip_bad": skip_bad, "text_column": cfg.text_column,
            "cleaner": cfg.cleaner, "split_seed": cfg.split_seed, "sets": list(SETS),
            "hard_references": (corpus_dir / "hard" / "wavs").is_dir(),
            "hard": [cfg.mini.hard_eval, cfg.mini.hard_dev] if mini else None}


def prepare_data(corpus_dir: str | Path, data_root: str | Path, prefix: str, setting: str, cfg: DataConfig,
                 mini: bool = False, skip_bad: bool = False) -> dict:
    """Write the three data directories of ``setting``; a complete, identical earlier result is kept as it is."""
    corpus_dir, data_root = Path(corpus_dir), Path(data_root)
    record = _record(corpus_dir, setting, cfg, mini, skip_bad)
    split_file = data_root / f"{prefix}_split.json"
    if split_file.is_file() and json.loads(split_file.read_text()).get("record") == record:
        try:
            for s in SETS:
                validate_data_dir(data_root / f"{prefix}_{s}")
            log.info("stage 1: %s is complete, skipping", split_file)
            return json.loads(split_file.read_text())
        except DataDirError as e:
            log.warning("stage 1: rebuilding (%s)", e)
    utts, skipped = load_corpus(corpus_dir, cfg.text_column, cfg.cleaner, skip_bad)
    atomic_write_text(data_root / f"{prefix}_skipped.txt", "".join(f"{s.key}\t{s.reason}\n" for s in skipped))
    if skipped:
        log.warning("stage 1: skipped %d utterance(s), listed in %s", len(skipped), data_root / f"{prefix}_skipped.txt")
    by_id = {u.utt_id: u for u in utts}
    split = make_split(list(by_id), setting, cfg.split_seed)
    sets = {"train": [by_id[u] for u in split.train], "dev": [by_id[u] for u in split.dev],
            "eval": [by_id[u] for u in split.eval]}
    sets["hard"] = with_references(hard_sentences("eval", cfg.mini.hard_eval if mini else None), corpus_dir)
    if setting == "robustness":
        sets["dev"] = hard_sentences("dev", cfg.mini.hard_dev if mini else None)
        sets["eval"] = sets["hard"]
    for s in SETS:
        write_data_dir(data_root / f"{prefix}_{s}", sets[s])
    result = {"record": record, "sizes": {s: len(v) for s, v in sets.items()}, "skipped": len(skipped),
              "notes": split.notes, "sets": {s: [u.utt_id for u in v] for s, v in sets.items()}}
    atomic_write_json(split_file, result)  # written last: marks stage 1 complete
    return result


def with_references(utts: list[Utterance], corpus_dir: Path) -> list[Utterance]:
    """Hard sentences with their rendered references (``<corpus>/hard/wavs/<id>.wav``, the eSpeak NG corpus) when
    every one has one: stage 2 then extracts their features and stage 7 measures MCD and length against them. The
    dev set stays text-only, as in the paper: the search decodes hard sentences to the stop token."""
    refs = [corpus_dir / "hard" / "wavs" / f"{u.utt_id}.wav" for u in utts]
    if not utts or not all(r.is_file() for r in refs):
        return utts
    return [dataclasses.replace(u, wav=str(r.resolve())) for u, r in zip(utts, refs)]


def prepare_features(data_root: str | Path, dump_root: str | Path, prefix: str, corpus: str, cfg: DataConfig,
                     nj: int = 1, device: str = "cpu", skip_bad: bool = False) -> dict:
    """Features of every set with audio, the token list and the train statistics; resumes where it stopped."""
    data_root, dump_root = Path(data_root), Path(dump_root)
    store = dump_root / f"{corpus}_feats"
    split_file = data_root / f"{prefix}_split.json"
    if not split_file.is_file():
        raise FileNotFoundError(f"{split_file} not found: run stage 1 first")
    _check_store(store, cfg, json.loads(split_file.read_text())["record"])
    summary, train = {}, None
    stats_file = dump_root / prefix / "feats_stats.npz"
    for s in SETS:
        ddir, out = data_root / f"{prefix}_{s}", dump_root / prefix / s
        validate_data_dir(ddir)
        if not (ddir / "wav.scp").is_file():
            summary[s] = "text only"
            continue
        # train is done only with finite statistics: non-finite ones (an older run) mean a feature file to recompute
        if features_complete(ddir, out, skip_bad) and (s != "train" or stats_usable(stats_file)):
            summary[s] = "complete"
            continue
        rep = make_features(ddir, out, cfg.features, nj, device, skip_bad, store=store, stats=s == "train")
        summary[s] = {"computed": len(rep.computed), "reused": len(rep.reused), "skipped": len(rep.skipped)}
        train = rep if s == "train" else train
    tokens = write_tokens(data_root, dump_root, prefix, cfg.token_type)
    summary["tokens"] = f"{cfg.token_type}: {len(tokens)} symbols"
    lengths = write_length_stats(dump_root, prefix)
    summary["frames_per_token"] = {k: v["max"] for k, v in lengths["frames_per_token"].items()}
    if train is not None:  # the jobs summed the train frames as they went
        save_stats(train.sums, stats_file, where=str(dump_root / prefix / "train" / "feats.scp"))
    elif not stats_usable(stats_file):
        compute_stats(dump_root / prefix / "train" / "feats.scp", stats_file)
    return summary


def write_tokens(data_root: Path, dump_root: Path, prefix: str, token_type: str) -> TokenList:
    """``tokens.txt`` and each set's ``token`` file (every utterance's symbols: characters, or eSpeak NG phonemes
    computed here once, so that no later stage or process runs the phonemizer on the data again)."""
    frontend = TextFrontend(token_type, "basic")  # the data-dir text is cleaned already (stage 1)
    for s in SETS:
        ddir = data_root / f"{prefix}_{s}"
        texts = read_scp(ddir / "text")
        symbols = {}
        for utt, text in progress(texts.items(), total=len(texts), desc=f"tokens {ddir.name}", unit="utt"):
            where = f"{ddir / 'text'} ({utt})"
            symbols[utt] = list(frontend.symbols(text, where))
            frontend.tokens.encode(symbols[utt], where=where)  # an unknown symbol is named here, not in stage 3
        write_token_file(dump_root / prefix / s / "token", symbols)
    tok_file = dump_root / prefix / "tokens.txt"
    if not tok_file.is_file() or TokenList.read(tok_file) != frontend.tokens:
        frontend.tokens.write(tok_file)
    return frontend.tokens


def write_length_stats(dump_root: Path, prefix: str) -> dict:
    """``<dump>/<prefix>/length_stats.json``: frames per token (``<eos>`` counted, as the model's text lengths) of
    every set with features: mean, coefficient of variation, max, 99th percentile. Stages 3-8 take the decoder's
    maximum length (1.5 x the train set's max) and the expected length of text-only utterances from it."""
    per_set = {}
    for s in SETS:
        shape, token = dump_root / prefix / s / "feats_shape", dump_root / prefix / s / "token"
        if not shape.is_file():
            continue
        symbols = read_token_file(token)
        ratio = np.array([int(n) / (len(symbols[u]) + 1) for u, n in read_scp(shape).items()])
        if ratio.size:
            per_set[s] = {"utterances": int(ratio.size), "mean": round(float(ratio.mean()), 4),
                          "cv": round(float(ratio.std() / ratio.mean()), 4), "max": round(float(ratio.max()), 4),
                          "p99": round(float(np.percentile(ratio, 99)), 4)}
    stats = {"frames_per_token": per_set}
    atomic_write_json(dump_root / prefix / "length_stats.json", stats)
    return stats


def _check_store(store: Path, cfg: DataConfig, record: dict) -> None:
    """The shared feature store belongs to one corpus and feature config; another must use another dump dir."""
    corpus_json = Path(record["corpus_dir"]) / "corpus.json"  # the built-in corpus's seed and sentences
    want = {"features": to_dict(cfg.features), "metadata_sha256": record["metadata_sha256"],
            "corpus": json.loads(corpus_json.read_text()) if corpus_json.is_file() else None}
    rec = store / "config.json"
    if rec.is_file():
        have = json.loads(rec.read_text())
        if have != want:
            raise ValueError(f"{store} holds features of another corpus or feature config ({have}, now {want}): "
                             f"remove it or use another dump directory")
    else:
        atomic_write_json(rec, want)
