#!/usr/bin/env bash
# LJSpeech TTS recipe with SemiNAS. Stages (--stage N --stop-stage M runs N to M):
#   0 obtain the corpus            3 train the supernet              6 synthesize the eval set
#   1 data directories             4 search (SemiNAS; NAO too with   7 evaluate: DFR, skips/repeats, MCD
#   2 tokens and features            --baselines true)               8 pack the models, speak a demo sentence
#                                  5 train the found architecture (and the baselines)
#   bash run.sh --mini true                                      # everything on a few hundred eSpeak NG sentences, CPU
#   bash run.sh --corpus espeak --stop-stage 2 --nj 2             # all 13,100 LJSpeech sentences read by eSpeak NG
#   bash run.sh --ljspeech-dir /data/LJSpeech-1.1 --ngpu 1        # low_resource on an existing copy (else downloads it)
#   bash run.sh --setting robustness --ngpu 1 --baselines true
# Stage 3-8 settings: --conf (conf/<setting>.yaml); one key: python -m speechnas.bin.<stage> ... --supernet.max_steps N
# Outputs (all git-ignored): downloads/ (corpora), data/<prefix>_{train,dev,eval} (Kaldi dirs, split, skipped list),
# dump/<prefix>/{train,dev,eval}/{feats.scp,token}, dump/<prefix>/{tokens.txt,feats_stats.npz}, dump/<corpus>_feats/*.npy,
# and under exp/<prefix>/: supernet/, search/<method>/, train/<model>/, synth/<model>/, eval/results.txt,
# packed/<model>/, demo/. <prefix> is the setting on LJSpeech, espeak_<setting> on the eSpeak NG corpus, mini_<setting>
# with --mini true (synthetic_<setting> with --corpus synthetic --mini true). Every stage skips finished
# work, so re-running after an interruption only does what is missing.
set -euo pipefail
declare help_message="$(sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}")"  # --help: the comments above first

stage=0                      # first stage to run
stop_stage=100               # last stage to run
setting=low_resource         # low_resource (1500/100/100) | robustness (all + hard sentences) | full (12600/250/250)
corpus=                      # ljspeech | espeak (LJSpeech's text read by eSpeak NG, offline) | synthetic (empty: ljspeech, espeak with --mini true)
mini=false                   # true: a few hundred short sentences of --corpus, the mini sizes (conf/mini.yaml)
ljspeech_dir=                # existing LJSpeech-1.1 folder (empty: download into downloads/)
nj=2                         # parallel jobs: feature extraction, searches, trainings, synthesis (CPU processes)
ngpu=0                       # GPUs (0 = CPU; >0: stage 2 runs on CUDA in one process, ignoring --nj; >1: stages 3 and 5 run under torchrun)
data_conf=conf/data.yaml     # config of stages 0-2
conf=                        # config of stages 3-8 (empty: conf/mini.yaml with --mini true, else conf/<setting>.yaml)
exp_dir=                     # experiment dir of stages 3-8 (empty: exp/<prefix>)
skip_bad=false               # true: list bad utterances (data/<prefix>_skipped.txt, dump/<prefix>/<set>/skipped.txt) instead of failing
search_method=seminas        # seminas | nao | random: the search whose best architecture is trained as 'found'
seed=                        # stages 3-8: one seed for the supernet, the search and the final trainings (empty: the config's)
baselines=                   # true: stage 4 also runs NAO, stages 5-8 add the all-Transformer and NAO models (empty: true with --mini true)
demo_text="Speech synthesis with an architecture that was found by semi supervised search."  # stage 8 speaks it
. "$(dirname "$0")/../../tools/parse_options.sh" || exit 1

if [ -n "$ljspeech_dir" ]; then
  [ -d "$ljspeech_dir" ] || { echo "run.sh: --ljspeech-dir $ljspeech_dir is not a directory" >&2; exit 1; }
  ljspeech_dir=$(cd "$ljspeech_dir" && pwd)
fi
cd "$(dirname "$0")"
case "$setting" in low_resource|robustness|full) ;; *) echo "run.sh: unknown --setting $setting" >&2; exit 1 ;; esac
corpus=${corpus:-$( [ "$mini" = true ] && echo espeak || echo ljspeech )}
case "$corpus:$mini" in
  ljspeech:false) prefix=${setting}; store=ljspeech; corpus_dir=${ljspeech_dir:-downloads/LJSpeech-1.1} ;;
  espeak:false) prefix=espeak_${setting}; store=espeak; corpus_dir=downloads/espeak/LJSpeech-1.1 ;;
  espeak:true) prefix=mini_${setting}; store=espeak_mini; corpus_dir=downloads/espeak_mini ;;
  synthetic:*) prefix=synthetic_${setting}; store=synthetic; corpus_dir=downloads/synthetic ;;
  ljspeech:true) echo "run.sh: --mini true needs --corpus espeak or synthetic" >&2; exit 1 ;;
  *) echo "run.sh: unknown --corpus $corpus (ljspeech | espeak | synthetic)" >&2; exit 1 ;;
esac
exp_dir=${exp_dir:-exp/${prefix}}
say() { echo "[$(date +%H:%M:%S), ${SECONDS} s since start] $*"; }  # stage banners with times
python=${PYTHON:-$( [ -x ../../.venv/bin/python ] && echo ../../.venv/bin/python || echo python3 )}
common=(--conf "$data_conf" --skip-bad "$skip_bad")
[ "$corpus" = synthetic ] && common+=(--token_type char)  # its sounds are letters, not phonemes

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  say "stage 0: obtain the corpus"
  $python -m speechnas.bin.prepare_corpus "${common[@]}" --corpus "$corpus" --mini "$mini" --ljspeech-dir "$ljspeech_dir" \
    --out-dir "$corpus_dir" --nj "$nj"
fi
if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  say "stage 1: data directories data/${prefix}_{train,dev,eval}"
  $python -m speechnas.bin.prepare_data "${common[@]}" --corpus-dir "$corpus_dir" --data-dir data --prefix "$prefix" --setting "$setting" --mini "$mini"
fi
if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  say "stage 2: features, tokens and statistics in dump/${prefix}"
  $python -m speechnas.bin.make_features "${common[@]}" --data-dir data --dump-dir dump --prefix "$prefix" --corpus "$store" --nj "$nj" --ngpu "$ngpu"
fi
conf=${conf:-$( [ "$mini" = true ] && echo conf/mini.yaml || echo "conf/${setting}.yaml" )}
baselines=${baselines:-$mini}
methods=$search_method; [ "$baselines" = true ] && [ "$search_method" != nao ] && methods=$search_method,nao
device=cpu; [ "$ngpu" -gt 0 ] && device=cuda
tts=(--conf "$conf" --data-dir data --dump-dir dump --prefix "$prefix" --exp-dir "$exp_dir")
tts+=(--supernet.device "$device" --final_train.device "$device" --search.method "$search_method")
[ -n "$seed" ] && tts+=(--supernet.seed "$seed" --search.seed "$seed" --final_train.seed "$seed")
models=("${tts[@]}" --baselines "$baselines")
launch=($python -m); [ "$ngpu" -gt 1 ] && launch=($python -m torch.distributed.run --standalone --nproc_per_node "$ngpu" -m)
if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  say "stage 3: train the supernet -> ${exp_dir}/supernet"
  "${launch[@]}" speechnas.bin.train_supernet "${tts[@]}"
fi
if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  say "stage 4: search ($methods) -> ${exp_dir}/search/<method>"
  $python -m speechnas.bin.search_tts "${tts[@]}" --methods "$methods" --nj "$nj"
fi
if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  say "stage 5: train the found architecture (baselines: $baselines) -> ${exp_dir}/train/<model>"
  "${launch[@]}" speechnas.bin.train_tts "${models[@]}" --nj "$nj"
fi
if [ "$stage" -le 6 ] && [ "$stop_stage" -ge 6 ]; then
  say "stage 6: synthesize data/${prefix}_eval -> ${exp_dir}/synth/<model>"
  $python -m speechnas.bin.synthesize_sets "${models[@]}" --nj "$nj" --device "$device"
fi
if [ "$stage" -le 7 ] && [ "$stop_stage" -ge 7 ]; then
  say "stage 7: evaluate -> ${exp_dir}/eval/results.txt"
  $python -m speechnas.bin.evaluate_tts "${models[@]}"
fi
if [ "$stage" -le 8 ] && [ "$stop_stage" -ge 8 ]; then
  say "stage 8: pack -> ${exp_dir}/packed/<model>; speak a new sentence -> ${exp_dir}/demo"
  $python -m speechnas.bin.pack_model "${models[@]}"
  $python -m speechnas.bin.synthesize --model "${exp_dir}/packed/found" --text "$demo_text" --out-dir "${exp_dir}/demo" --device "$device"
fi
say "run.sh: stages ${stage}-${stop_stage} done (${prefix})"
