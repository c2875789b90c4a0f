#!/usr/bin/env bash
# SemiNAS (the paper's algorithm), SemiNAS(screen) (the whole space pseudo-labelled), NAO, SemiNAS(RE), regularized
# evolution and random search on a full NAS-Bench-201 table (CIFAR-10 by default; --table for another, e.g. the
# CIFAR-100 low-fidelity one): search on validation accuracy, report the test accuracy of the best-by-validation cell.
# Stages: 1 check the table · 2 search (methods x seeds, --nj in parallel, resumable) · 3 report.
#   bash run.sh --seeds 0:100 --nj 2                     # the 100-seed table (about 1-2 hours on 2 shared cores)
#   bash run.sh --methods seminas,re --seeds 0:5         # a quick look
# Outputs (git-ignored): exp/<tag>/search/<method>/seed<k>/{queries.jsonl,result.json,best_so_far.png,state.pt},
# exp/<tag>/search/{config.yaml,meta.json}, exp/<tag>/report/report.{json,txt,png}. One run per method and seed
# at the largest budget serves every smaller budget (no strategy decision depends on the budget; tests check it).
set -euo pipefail

stage=1                      # first stage to run
stop_stage=3                 # last stage to run
table=                       # NAS-Bench-201 CSV (empty: $SPEECHNAS_SHARED or ../shared data/nasbench/nb201_cifar10.csv)
conf=conf/search.yaml        # search config (one section per method, see speechnas.nas.grid.SearchConfig)
methods=seminas,seminas_screen,nao,seminas_re,re,random  # comma-separated methods (speechnas.nas.methods.METHODS)
seeds=0:100                  # seeds: a range lo:hi or a comma-separated list
budgets=100,150,300          # query budgets in the report (the largest is each run's budget)
nj=2                         # searches run in parallel (one process, one torch thread each)
tag=nb201                    # experiment name: outputs go to exp/<tag>
exp_dir=                     # experiment directory (empty: exp/<tag>)
overrides=                   # extra config overrides, e.g. "--seminas.initial 20 --re.population 50"
. "$(dirname "$0")/../../tools/parse_options.sh" || exit 1

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
[ -n "$table" ] && table=$(abspath "$table")
[ -n "$exp_dir" ] && exp_dir=$(abspath "$exp_dir")
shared=${SPEECHNAS_SHARED:-$(dirname "$0")/../../../shared}
shared=$(cd "$shared" 2>/dev/null && pwd || abspath "$shared")
cd "$(dirname "$0")"
table=${table:-$shared/data/nasbench/nb201_cifar10.csv}
python=${PYTHON:-$( [ -x ../../.venv/bin/python ] && echo ../../.venv/bin/python || echo python3 )}
exp_dir=${exp_dir:-exp/${tag}}
max_budget=$(echo "$budgets" | tr ',' '\n' | sort -n | tail -1)

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  echo "stage 1: check $table"
  $python -m speechnas.bin.nas_check_data --benchmark nasbench201 --table "$table"
fi
if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  echo "stage 2: search ($methods; seeds $seeds; $max_budget queries; --nj $nj) in $exp_dir/search"
  # shellcheck disable=SC2086
  $python -m speechnas.bin.nas_search --benchmark nasbench201 --table "$table" --config "$conf" --methods "$methods" \
    --seeds "$seeds" --nj "$nj" --exp-dir "$exp_dir/search" --budget "$max_budget" $overrides
fi
if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  echo "stage 3: report in $exp_dir/report"
  $python -m speechnas.bin.nas_report --exp-dir "$exp_dir/search" --out-dir "$exp_dir/report" --budgets "$budgets"
fi
echo "run.sh: stages ${stage}-${stop_stage} done ($exp_dir)"
