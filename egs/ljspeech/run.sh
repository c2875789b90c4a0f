#!/usr/bin/env bash
# LJSpeech TTS recipe with SemiNAS. Stages: 0 obtain the corpus · 1 data directories · 2 tokens and features ·
# 3 train the supernet · 4 SemiNAS search · 5 train the found architecture · 6 synthesize · 7 evaluate · 8 pack.
#   bash run.sh --mini true --stop-stage 2                       # built-in synthetic corpus, minutes on a CPU
#   bash run.sh --ljspeech-dir /data/LJSpeech-1.1 --setting full  # an existing copy (else stage 0 downloads it)
# Outputs (all git-ignored): downloads/ (corpora), data/<prefix>_{train,dev,eval} (Kaldi dirs, split, skipped list),
# dump/<prefix>/{train,dev,eval}/feats.scp, dump/<prefix>/{tokens.txt,feats_stats.npz}, dump/<corpus>_feats/*.npy,
# exp/<prefix>/ (stages 3-8). <prefix> is the setting, mini_<setting> with --mini true. Every stage skips finished
# work, so re-running after an interruption only does what is missing.
set -euo pipefail

stage=0                      # first stage to run
stop_stage=100               # last stage to run
setting=low_resource         # low_resource (1500/100/100) | robustness (all + hard sentences) | full (12600/250/250)
mini=false                   # true: the built-in synthetic corpus instead of LJSpeech
ljspeech_dir=                # existing LJSpeech-1.1 folder (empty: download into downloads/)
nj=2                         # parallel jobs for feature extraction
ngpu=0                       # GPUs (0 = CPU)
data_conf=conf/data.yaml     # config of stages 0-2
conf=conf/train.yaml         # training config of stages 3-5
exp_dir=                     # experiment dir of stages 3-8 (empty: exp/<prefix>)
skip_bad=false               # true: list bad utterances in a file instead of failing
. "$(dirname "$0")/../../tools/parse_options.sh" || exit 1

if [ -n "$ljspeech_dir" ]; then
  [ -d "$ljspeech_dir" ] || { echo "run.sh: --ljspeech-dir $ljspeech_dir is not a directory" >&2; exit 1; }
  ljspeech_dir=$(cd "$ljspeech_dir" && pwd)
fi
cd "$(dirname "$0")"
case "$setting" in low_resource|robustness|full) ;; *) echo "run.sh: unknown --setting $setting" >&2; exit 1 ;; esac
if [ "$mini" = true ]; then prefix=mini_${setting}; corpus=mini; corpus_dir=downloads/mini
else prefix=${setting}; corpus=ljspeech; corpus_dir=${ljspeech_dir:-downloads/LJSpeech-1.1}; fi
exp_dir=${exp_dir:-exp/${prefix}}
python=${PYTHON:-$( [ -x ../../.venv/bin/python ] && echo ../../.venv/bin/python || echo python3 )}
common=(--conf "$data_conf" --skip-bad "$skip_bad")

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  echo "stage 0: obtain the corpus"
  $python -m speechnas.bin.prepare_corpus "${common[@]}" --mini "$mini" --ljspeech-dir "$ljspeech_dir" --download-dir downloads
fi
if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: data directories data/${prefix}_{train,dev,eval}"
  $python -m speechnas.bin.prepare_data "${common[@]}" --corpus-dir "$corpus_dir" --data-dir data --prefix "$prefix" --setting "$setting" --mini "$mini"
fi
if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: features, tokens and statistics in dump/${prefix}"
  $python -m speechnas.bin.make_features "${common[@]}" --data-dir data --dump-dir dump --prefix "$prefix" --corpus "$corpus" --nj "$nj" --ngpu "$ngpu"
fi
# ---- stages 3-8: filled in by the training, search and synthesis issue. Each is one python -m speechnas.bin.<verb>
# call reading data/${prefix}_*, dump/${prefix}/ and writing under ${exp_dir}, with --conf "$conf" --ngpu "$ngpu".
if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then echo "stage 3: train the supernet: not implemented yet" >&2; exit 1; fi
# stage 4: SemiNAS search                -> ${exp_dir}/search
# stage 5: train the found architecture  -> ${exp_dir}/final
# stage 6: synthesize dev/eval           -> ${exp_dir}/final/synth
# stage 7: evaluate (DFR, robustness)    -> ${exp_dir}/final/eval
# stage 8: pack the model                -> ${exp_dir}/model.zip
echo "run.sh: stages ${stage}-${stop_stage} done (${prefix})"
