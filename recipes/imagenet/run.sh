#!/usr/bin/env bash
# ImageNet recipe: SemiNAS in the MobileNetV2 (ProxylessNAS) space under a multiply-add limit. Stages
# (--stage N --stop-stage M runs N to M):
#   0 data: make the built-in set (--mini true) or check --imagenet-dir; carve the held-out split from train/
#   1 supernet: single-path training on the search's initial architectures
#   2 search: SemiNAS (or --search-method nao|random) scoring architectures with the supernet's weights
#   3 final training of the found architecture at the final widths (the paper's 300-epoch schedule)
#   4 evaluation: top-1 / top-5 on val/              5 export, and a demo prediction on some val/ images
#   bash run.sh --mini true                                   # every stage on the built-in set (minutes on 2 CPUs)
#   bash run.sh --imagenet-dir /data/imagenet --ngpu 4        # train/<wnid>/*.JPEG and val/<wnid>/*.JPEG
# Settings: --conf (conf/paper.yaml, conf/mini.yaml with --mini true); one key: python -m speechnas.bin.<stage> ...
# --search.budget 100. Outputs (git-ignored): data/<prefix>/{split.json,data.json} (and images/ for the built-in
# set); exp/<prefix>/supernet/, search/<method>/ (queries.jsonl with every architecture's multiply-adds, result.json,
# summary.json, best_archs.txt), train/final/, eval/results.{json,txt}, export/ (model.pt, model.yaml),
# demo/predictions.jsonl. <prefix> is mini or imagenet. Every stage skips finished work; a re-run resumes.
set -euo pipefail
declare help_message="$(sed -n '2,/^[^#]/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}")"  # --help: the comments above first

stage=0                      # first stage to run
stop_stage=100               # last stage to run
mini=false                   # true: the built-in image set instead of ImageNet
imagenet_dir=                # ImageNet folder with train/<wnid>/*.JPEG and val/<wnid>/ (needed unless --mini true)
ngpu=0                       # GPUs (0 = CPU; >1: stages 1 and 3 run under torchrun on this machine)
conf=                        # recipe config (empty: conf/mini.yaml with --mini true, else conf/paper.yaml)
search_method=seminas        # seminas | nao | random: the search whose best architecture is trained
exp_dir=                     # experiment dir of stages 1-5 (empty: exp/<prefix>)
. "$(dirname "$0")/../../tools/parse_options.sh" || exit 1

if [ -n "$imagenet_dir" ]; then
  [ -d "$imagenet_dir" ] || { echo "run.sh: --imagenet-dir $imagenet_dir is not a directory" >&2; exit 1; }
  imagenet_dir=$(cd "$imagenet_dir" && pwd)
fi
cd "$(dirname "$0")"
if [ "$mini" = true ]; then prefix=mini; else prefix=imagenet; fi
conf=${conf:-$( [ "$mini" = true ] && echo conf/mini.yaml || echo conf/paper.yaml )}
exp_dir=${exp_dir:-exp/${prefix}}
data_dir=data/${prefix}
say() { echo "[$(date +%H:%M:%S), ${SECONDS} s since start] $*"; }  # stage banners with times
python=${PYTHON:-$( [ -x ../../.venv/bin/python ] && echo ../../.venv/bin/python || echo python3 )}
device=cpu; [ "$ngpu" -gt 0 ] && device=cuda
opts=(--conf "$conf" --data-dir "$data_dir" --exp-dir "$exp_dir" --search.method "$search_method")
opts+=(--supernet.train.device "$device" --final.train.device "$device")
launch=($python -m); [ "$ngpu" -gt 1 ] && launch=($python -m torch.distributed.run --standalone --nproc_per_node "$ngpu" -m)

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  say "stage 0: data and held-out split -> ${data_dir}"
  $python -m speechnas.bin.imagenet_data --conf "$conf" --data-dir "$data_dir" --mini "$mini" --imagenet-dir "$imagenet_dir"
fi
if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  say "stage 1: supernet -> ${exp_dir}/supernet"
  "${launch[@]}" speechnas.bin.imagenet_supernet "${opts[@]}"
fi
if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  say "stage 2: search ($search_method) -> ${exp_dir}/search/${search_method}"
  $python -m speechnas.bin.imagenet_search "${opts[@]}"
fi
if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  say "stage 3: train the found architecture -> ${exp_dir}/train/final"
  "${launch[@]}" speechnas.bin.imagenet_train "${opts[@]}"
fi
if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  say "stage 4: evaluate on val/ -> ${exp_dir}/eval/results.txt"
  $python -m speechnas.bin.imagenet_evaluate "${opts[@]}"
fi
if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  say "stage 5: export -> ${exp_dir}/export; predict some val/ images -> ${exp_dir}/demo/predictions.jsonl"
  $python -m speechnas.bin.imagenet_export "${opts[@]}"
  demo=$($python -c "import json,sys; r=json.load(open(sys.argv[1]))['root']; print(r)" "${data_dir}/split.json")/val
  demo=$(find "$demo" -mindepth 1 -maxdepth 1 -type d | sort | head -1)
  $python -m speechnas.bin.imagenet_predict --model "${exp_dir}/export" --images "$demo" --topk 3 \
    --out "${exp_dir}/demo/predictions.jsonl" > /dev/null
  if [ "$mini" = true ]; then cat "${exp_dir}/eval/results.txt"; fi
fi
say "run.sh: stages ${stage}-${stop_stage} done (${prefix})"
