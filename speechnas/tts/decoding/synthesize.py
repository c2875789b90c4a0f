"""Text -> speech with a trained or packed model: cleaners and tokens, batched free-running decoding to the stop
token, denormalisation, Griffin-Lim; and stage 6, which synthesizes a whole set with attention plots.

Stage-6 layout (``synth/<set>/<model>/``): ``<utt>.wav`` (16-bit, the feature sample rate), ``attention/<utt>.png`` and
``attention/<utt>.npy`` (the most focused head and layer, ``(frames, tokens)`` including the EOS column, which the last
frames attend to; for the alignment path), and ``synth.json`` (per utterance: frames, whether the stop token fired,
token count, and ``dfr``, the search reward's DFR: head and layer chosen with EOS excluded), written last.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from speechnas.audio.griffinlim import GriffinLimConfig, griffin_lim
from speechnas.audio.io import write_wav
from speechnas.data import collate_tts
from speechnas.text.tokens import TextFrontend, UnknownSymbolError
from speechnas.tts.decoding.decode import DecodeConfig, generate
from speechnas.tts.evaluation.metrics import attention_metrics, select_attention
from speechnas.tts.evaluation.scoring import expected_lengths
from speechnas.tts.recipe.pack import LoadedModel
from speechnas.tts.evaluation.plot import attention_figure, save_figure
from speechnas.tts.training.trainer import batch_to
from speechnas.utils.io import atomic_write_json, atomic_write_with
from speechnas.utils.progress import progress

log = logging.getLogger(__name__)


class UnspeakableTextError(ValueError):
    """The text holds characters the model's token list cannot express, or nothing to speak at all."""


@dataclass
class Speech:
    utt_id: str
    wav: np.ndarray  # (samples,) float32 in [-1, 1]
    log_mel: torch.Tensor  # raw log-mel (frames, n_mels)
    attention: torch.Tensor  # (frames, tokens incl. EOS) most focused head and layer
    text_length: int  # tokens incl. <eos>
    stopped: bool  # the stop token fired before the maximum length
    dfr: float  # the search reward (metrics.alignment_reward): against the reference length when the batch has
    # audio, else the length the text should take (the model's frames_per_token); nan when neither is known


class Synthesizer:
    """``Synthesizer(load_model(path)).synthesize(["Hello there."])``; settings default to the model's own."""

    def __init__(self, loaded: LoadedModel, decode: DecodeConfig | None = None,
                 griffin_lim_cfg: GriffinLimConfig | None = None):
        self.loaded = loaded
        self.model = loaded.model.eval()
        self.device = next(self.model.parameters()).device
        self.decode = decode or loaded.decode
        self.gl = griffin_lim_cfg or loaded.griffin_lim
        self.frontend = TextFrontend(loaded.token_type, loaded.cleaner, loaded.tokens)
        self.sample_rate = loaded.mel.sample_rate

    def encode(self, text: str, where: str = "") -> list[int]:
        """Token ids of raw ``text`` (cleaned first); a clear error for characters the model cannot speak."""
        try:
            ids = self.frontend(text, where=where)
        except UnknownSymbolError as e:
            raise UnspeakableTextError(f"cannot speak this text: {e} (the model knows only: "
                                       f"{''.join(t for t in self.loaded.tokens.tokens[2:])!r})") from None
        if len(ids) <= 1:
            raise UnspeakableTextError(f"{where + ': ' if where else ''}nothing to speak in {text!r}")
        return ids

    def synthesize(self, texts: list[str], utt_ids: list[str] | None = None) -> list[Speech]:
        """Speech for raw ``texts``, decoded together in one batch."""
        utt_ids = utt_ids or [f"{i + 1:04d}" for i in range(len(texts))]
        items = [{"utt_id": u, "text": torch.tensor(self.encode(t, where=f"text {u}"))} for u, t in zip(utt_ids, texts)]
        return self.synthesize_batch(collate_tts(items))

    @torch.no_grad()
    def synthesize_batch(self, batch: dict) -> list[Speech]:
        """Speech for a contract batch (its ``feats``, if any, are ignored: decoding runs to the stop token)."""
        batch = batch_to(batch, self.device)
        out = generate(self.model, batch["text"], batch["text_lengths"], self.decode)
        lengths = out["lengths"]
        attn = select_attention(out["attentions"], batch["text_lengths"], lengths, eos=False)  # EOS column kept
        ref = batch.get("feats_lengths")
        if ref is None and self.loaded.frames_per_token:
            ref = expected_lengths(batch["text_lengths"], self.loaded.frames_per_token)
        if ref is not None:
            dfr = attention_metrics(out["attentions"], batch["text_lengths"], lengths, ref_lengths=ref)["dfr"]
        else:  # a model packed without its data's lengths: no reference to judge the length by
            dfr = torch.full((len(batch["utt_ids"]),), float("nan"))
        result = []
        for i, utt in enumerate(batch["utt_ids"]):
            n = int(lengths[i])
            log_mel = self.loaded.normalizer.denormalize(out["mel"][i, :n].float())
            wav = griffin_lim(log_mel, self.loaded.mel, self.gl)
            result.append(Speech(utt, wav.cpu().numpy().astype(np.float32), log_mel.cpu(),
                                 attn[i, :n, : int(batch["text_lengths"][i])].cpu(), int(batch["text_lengths"][i]),
                                 bool(out["stopped"][i]), float(dfr[i])))
        return result


def write_speech(speech: Speech, out_dir: Path, sample_rate: int, plot: bool = True, keep_attention: bool = True) -> None:
    """``<utt>.wav``, and ``attention/<utt>.npy`` / ``.png`` when asked."""
    write_wav(out_dir / f"{speech.utt_id}.wav", speech.wav, sample_rate)
    if keep_attention:
        atomic_write_with(out_dir / "attention" / f"{speech.utt_id}.npy", lambda f: np.save(f, speech.attention.numpy()))
    if plot:
        fig = attention_figure(speech.attention, f"{speech.utt_id} ({'stopped' if speech.stopped else 'no stop'})")
        save_figure(fig, out_dir / "attention" / f"{speech.utt_id}.png")


def synthesize_set(synth: Synthesizer, batches: list[dict], out_dir: str | Path, plots: bool = True,
                   record: dict | None = None) -> dict:
    """Stage 6 for one model and set: every utterance of ``batches`` into ``out_dir``; ``synth.json`` last.

    A complete earlier result for the same ``record`` (model, weights, settings) is kept as it is.
    """
    out = Path(out_dir)
    summary_file = out / "synth.json"
    record = record or {}
    if summary_file.is_file():
        old = json.loads(summary_file.read_text())
        if old.get("record") == record and all("dfr" in u for u in old.get("utterances", {}).values()):
            log.info("stage 6: %s is complete, skipping", out)
            return old
    utts: dict[str, dict] = {}
    total = sum(len(b["utt_ids"]) for b in batches)
    bar = progress(total=total, desc=f"synthesize {out.name}", unit="utt")
    for batch in batches:
        for sp in synth.synthesize_batch(batch):
            write_speech(sp, out, synth.sample_rate, plots)
            utts[sp.utt_id] = {"frames": int(sp.log_mel.shape[0]), "text_length": sp.text_length,
                               "stopped": sp.stopped, "dfr": sp.dfr,
                               "seconds": round(len(sp.wav) / synth.sample_rate, 3)}
            bar.update(1)
    bar.close()
    summary = {"record": record, "sample_rate": synth.sample_rate, "utterances": utts}
    atomic_write_json(summary_file, summary)
    return summary
