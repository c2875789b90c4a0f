#!/usr/bin/env bash
# SemiNAS on NAS-Bench-101 (Table 1 of the paper: 93.89% with 300 queries, 94.02% with 2000) and its baselines,
# with speechnas alone: no TensorFlow, no nasbench package. Stages: 0 obtain the benchmark file · 1 build its
# binary cache · 2 search (methods x seeds, --nj in parallel) · 3 report (JSON, table with regret and rank, plot).
#   bash run.sh --conf conf/q300.yaml --nj 4                          # downloads nasbench_only108.tfrecord first
#   bash run.sh --nb101-file /data/nasbench_only108.tfrecord --conf conf/q2000.yaml --stage 1
#   bash run.sh --demo true                                           # offline pipeline check on 321 real cells
# Outputs (git-ignored): downloads/ (the file and its .cache.npz), data/nb101_demo.tfrecord (--demo true),
# exp/<conf>/ : benchmark.json, <method>/seed<k>/{queries.jsonl,result.json,run.json,state.pt,best_so_far.png,tb/},
# report.{json,txt,png}. Every stage skips finished work; re-running resumes interrupted searches.
set -euo pipefail

stage=0                      # first stage to run
stop_stage=3                 # last stage to run
nb101_file=                  # the benchmark file (empty: downloads/nasbench_only108.tfrecord, or the demo file)
conf=                        # experiment config (empty: conf/q300.yaml, or conf/demo.yaml with --demo true)
exp_dir=                     # experiment directory (empty: exp/<conf name>)
nj=2                         # searches run in parallel (one process, one thread each)
methods=                     # comma-separated subset of the config's methods (empty: all)
overrides=                   # extra config overrides, e.g. "--seeds 100 --seminas.top_k 50"
demo=false                   # true: stage 0 builds a small file from the real records in ../shared instead
. "$(dirname "$0")/../../tools/parse_options.sh" || exit 1

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
[ -n "$nb101_file" ] && nb101_file=$(abspath "$nb101_file")
[ -n "$conf" ] && conf=$(abspath "$conf")
[ -n "$exp_dir" ] && exp_dir=$(abspath "$exp_dir")
shared=$(abspath "${SPEECHNAS_SHARED:-$(dirname "$0")/../../../shared}")
cd "$(dirname "$0")"
if [ "$demo" = true ]; then
  nb101_file=${nb101_file:-$PWD/data/nb101_demo.tfrecord}; conf=${conf:-conf/demo.yaml}
else
  nb101_file=${nb101_file:-$PWD/downloads/nasbench_only108.tfrecord}; conf=${conf:-conf/q300.yaml}
fi
[ -f "$conf" ] || { echo "run.sh: config $conf does not exist" >&2; exit 1; }
exp_dir=${exp_dir:-exp/$(basename "$conf" .yaml)}
python=${PYTHON:-$( [ -x ../../.venv/bin/python ] && echo ../../.venv/bin/python || echo python3 )}
# shellcheck disable=SC2206
common=(--conf "$conf" --benchmark.file "$nb101_file" $overrides)

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  if [ -f "$nb101_file" ]; then
    echo "stage 0: using $nb101_file"
  elif [ "$demo" = true ]; then
    echo "stage 0: demo file $nb101_file from $shared"
    $python -m speechnas.bin.nasbench101_make_demo --shared "$shared" --out "$nb101_file"
  else
    echo "stage 0: download $nb101_file"
    $python -m speechnas.bin.nasbench101_download --which only108 --dest "$nb101_file"
  fi
fi
if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: cache of $nb101_file"
  mkdir -p "$exp_dir"
  $python -m speechnas.bin.nasbench101_cache "${common[@]}" --out "$exp_dir/benchmark.json" > /dev/null
fi
if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: search in $exp_dir (--nj $nj)"
  $python -m speechnas.bin.nasbench101_search "${common[@]}" --exp-dir "$exp_dir" --nj "$nj" ${methods:+--methods "$methods"}
fi
if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  echo "stage 3: report in $exp_dir"
  $python -m speechnas.bin.nasbench101_report "${common[@]}" --exp-dir "$exp_dir"
fi
echo "run.sh: stages ${stage}-${stop_stage} done ($exp_dir)"
