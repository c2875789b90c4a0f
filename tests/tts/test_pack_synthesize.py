"""Model directories and packing (round trip, damaged and missing files), text -> speech with a packed model,
the speechnas-synthesize command line, and the stage-7 evaluation of synthesized output."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from speechnas.audio.functional import MelConfig, log_mel_spectrogram
from speechnas.audio.griffinlim import GriffinLimConfig
from speechnas.audio.io import write_wav
from speechnas.bin.synthesize import main as synthesize_main
from speechnas.text.tokens import TokenList
from speechnas.tts.decoding.decode import DecodeConfig
from speechnas.tts.model.backbone import TTSModel, TTSModelConfig
from speechnas.tts.recipe.pack import ModelDirError, load_model, pack_model, write_model_dir
from speechnas.tts.recipe.config import EvalConfig
from speechnas.tts.evaluation.report import evaluate_synthesis, results_table
from speechnas.tts.decoding.synthesize import Synthesizer, UnspeakableTextError
from speechnas.tts.training.trainer import Trainer, TrainConfig

from tts_testdata import random_batch

TOKENS = TokenList.characters()
ARCH = "enc: conv5 tf2 | dec: tf2 lstm"


@pytest.fixture(scope="module")
def train_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("model")
    TOKENS.write(root / "tokens.txt")
    np.savez(root / "stats.npz", mean=np.full(80, -4.0, np.float32), std=np.full(80, 2.0, np.float32))
    torch.manual_seed(0)
    cfg = TTSModelConfig(vocab_size=len(TOKENS), hidden_size=16, prenet_size=8, encoder_layers=2, decoder_layers=2)
    out = root / "train" / "found"
    write_model_dir(out, TTSModel(cfg, ARCH).arch, cfg, root / "tokens.txt", root / "stats.npz", MelConfig(), "char",
                    DecodeConfig(seed=0, max_len_ratio=2.0, max_len_offset=10), GriffinLimConfig(n_iter=4),
                    frames_per_token=1.5)
    model = TTSModel(cfg, ARCH)
    trainer = Trainer(model, TrainConfig(warmup_steps=1, max_steps=2, image_every=0, log_every=100, device="cpu"), out)
    trainer.train([random_batch([6, 4], [9, 7], vocab=len(TOKENS), seed=1)])
    return out


def test_pack_round_trip_and_damage(train_dir, tmp_path):
    trained = load_model(train_dir)
    packed_dir = pack_model(train_dir, tmp_path / "packed")
    assert sorted(p.name for p in packed_dir.iterdir()) == ["feats_stats.npz", "model.pt", "model.yaml", "tokens.txt"]
    packed = load_model(packed_dir)
    assert str(packed.arch) == ARCH and packed.tokens == TOKENS and packed.meta["trained_steps"] == 2
    assert trained.weights == train_dir / "checkpoints" / "ckpt_00000002.pt"
    assert packed.weights == packed_dir / "model.pt"
    for k, v in trained.model.state_dict().items():
        assert torch.equal(v, packed.model.state_dict()[k])
    assert np.allclose(packed.normalizer.denormalize(np.zeros(80)), -4.0)
    assert packed.frames_per_token == 1.5 and packed.decode.max_len_ratio == 2.0  # the data's lengths travel along
    with open(packed_dir / "model.pt", "ab") as f:
        f.write(b"x")
    with pytest.raises(ModelDirError, match="damaged"):
        load_model(packed_dir)
    (packed_dir / "model.yaml").unlink()
    with pytest.raises(ModelDirError, match="model.yaml not found"):
        load_model(packed_dir)
    with pytest.raises(ModelDirError, match="not found"):
        load_model(tmp_path / "nowhere")


def test_synthesizer_speaks_and_refuses_unknown_characters(train_dir):
    synth = Synthesizer(load_model(train_dir))
    speech = synth.synthesize(["Hello, world.", "Dr. Smith paid $5!"])
    assert [s.utt_id for s in speech] == ["0001", "0002"]
    for s, text in zip(speech, ["hello, world.", "doctor smith paid five dollars!"]):
        frames = s.log_mel.shape[0]
        assert s.text_length == len(text) + 1 and s.attention.shape == (frames, s.text_length)
        assert 1 <= frames <= 2 * s.text_length + 10 and s.wav.dtype == np.float32
        assert len(s.wav) == (frames - 1) * 256 and np.abs(s.wav).max() == pytest.approx(0.95, abs=1e-3)
        assert 0.0 <= s.dfr <= 1.0
    with pytest.raises(UnspeakableTextError, match="'ж'"):
        synth.encode("naïve жук")
    with pytest.raises(UnspeakableTextError, match="nothing to speak"):
        synth.encode("  ")


def test_command_line(train_dir, tmp_path, capsys):
    out = tmp_path / "wavs"
    assert synthesize_main(["--model", str(train_dir), "--text", "A new sentence.", "--out-dir", str(out)]) == 0
    wav, sr = sf.read(out / "0001.wav")
    assert sr == 22050 and len(wav) > 0
    lines = tmp_path / "texts.txt"
    lines.write_text("greet Hello there.\n\nbye Goodbye now!\n")
    assert synthesize_main(["--model", str(train_dir), "--text-file", str(lines), "--with-ids", "true",
                            "--out-dir", str(out), "--attention-plots", "true"]) == 0
    assert (out / "greet.wav").is_file() and (out / "bye.wav").is_file() and (out / "attention" / "bye.png").is_file()
    lines.write_text("one fine line\nthe second has ж in it\n")
    assert synthesize_main(["--model", str(train_dir), "--text-file", str(lines), "--out-dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "text 0002" in err and "'ж'" in err and not (tmp_path / "x").exists()  # nothing made before the check
    assert synthesize_main(["--model", str(tmp_path / "none"), "--text", "hi"]) == 2
    assert "not found" in capsys.readouterr().err


DFR = {"clean": 0.9, "repeat": 0.5, "skip": 0.4}  # stage 6's search-style DFR, as synth.json records it


def _synth_dir(tmp_path, ref_wav):
    """Three utterances of 6 tokens + EOS: clean diagonal (then EOS), a jump back, and a skipped run."""
    d = tmp_path / "synth"
    (d / "attention").mkdir(parents=True)
    paths = {"clean": [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6], "repeat": [0, 1, 2, 3, 4, 1, 1, 2, 3, 4, 5, 6],
             "skip": [0, 0, 1, 1, 4, 4, 5, 5, 6]}
    utts = {}
    for utt, path in paths.items():
        attn = np.zeros((len(path), 7), np.float32)
        attn[np.arange(len(path)), path] = 1.0
        np.save(d / "attention" / f"{utt}.npy", attn)
        write_wav(d / f"{utt}.wav", ref_wav, 22050)
        utts[utt] = {"frames": len(path), "text_length": 7, "stopped": utt != "skip", "dfr": DFR[utt]}
    (d / "synth.json").write_text(json.dumps({"utterances": utts}))
    return d


def test_evaluation_of_synthesized_output(tmp_path):
    rng = np.random.default_rng(0)
    wav = (0.3 * np.sin(np.arange(8000) * 0.05) + 0.01 * rng.normal(size=8000)).astype(np.float32)
    d = _synth_dir(tmp_path, wav)
    feats = tmp_path / "ref.npy"
    np.save(feats, log_mel_spectrogram(torch.from_numpy(wav), MelConfig()).numpy())
    (tmp_path / "feats.scp").write_text(f"clean {feats}\nrepeat {feats}\n")
    res = evaluate_synthesis(d, MelConfig(), EvalConfig(), tmp_path / "feats.scp")
    u = res["utterances"]
    assert u["clean"] == {**u["clean"], "skips": [], "repeats": []}
    assert {k: v["dfr"] for k, v in u.items()} == DFR and res["dfr"] == pytest.approx(0.6)  # read, not recomputed
    assert u["repeat"]["repeats"] and not u["repeat"]["skips"]
    assert u["skip"]["skips"] == [[2, 4]] and not u["skip"]["repeats"]
    assert (res["repeat_sentences"], res["skip_sentences"], res["error_sentences"]) == (1, 1, 2)
    assert res["error_rate"] == pytest.approx(2 / 3) and res["stop_rate"] == pytest.approx(2 / 3)
    assert res["mcd_sentences"] == 2 and res["mcd"] < 0.5  # the same audio (16-bit rounding aside)
    table = results_table({"found": {**res, "arch": ARCH}, "nao": {**res, "arch": ARCH, "mcd": None}})
    assert "found" in table and "nao" in table and "66.7%" in table and "n/a" in table
    with pytest.raises(FileNotFoundError, match="run stage 6"):
        evaluate_synthesis(tmp_path / "none", MelConfig(), EvalConfig())
    summary = json.loads((d / "synth.json").read_text())
    del summary["utterances"]["skip"]["dfr"]  # written before stage 6 recorded it
    (d / "synth.json").write_text(json.dumps(summary))
    with pytest.raises(ValueError, match="skip has no 'dfr'.*run stage 6 again"):
        evaluate_synthesis(d, MelConfig(), EvalConfig())
