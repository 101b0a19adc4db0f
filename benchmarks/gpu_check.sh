#!/bin/bash
# The agents' GPU check in one call (about 6 minutes on an H100/H200 with 16 cores): the CUDA path
# of agents/ppo.py and its steady-state SPS against ALE and the network-only ceiling, for the
# README's "Training speed" table.
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]        # JSON per layout into OUT_DIR (default: $OUT or .)
#   WHEELS=DIR bash benchmarks/gpu_check.sh       # first install the wheels in DIR (a machine offline)
set -u
OUT_DIR=${1:-${OUT:-.}}
mkdir -p "$OUT_DIR"
T0=$(date +%s)
if [ -n "${WHEELS:-}" ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/scoregames-site "$WHEELS"/*.whl || exit 3
    export PYTHONPATH=/tmp/scoregames-site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1 SDL_VIDEODRIVER=dummy
nvidia-smi --query-gpu=name --format=csv,noheader
echo "$(nproc) CPU cores"
elapsed() { echo "$1 done at $(($(date +%s) - T0)) s"; }
python3 benchmarks/vector_glue.py --steps 300 --repeats 3 --json "$OUT_DIR/glue.json" 2>&1 | tail -4
elapsed "vector glue"
SPS="python3 benchmarks/train_sps.py --cuda --updates 10 --warmup 3"
GROUPS2="--num-envs 16 --num-minibatches 8 --env-groups 2 --env-workers 4"
timeout 110 $SPS $GROUPS2 --json "$OUT_DIR/groups2.json" 2>&1 | tail -4
elapsed "16 envs, 2 groups (ours + ALE + ceiling)"
timeout 110 $SPS --num-envs 24 --num-minibatches 12 --env-groups 3 --env-workers 6 --skip-ale \
    --json "$OUT_DIR/groups3.json" 2>&1 | tail -3
elapsed "24 envs, 3 groups"
timeout 100 $SPS --json "$OUT_DIR/cleanrl_layout.json" 2>&1 | tail -4
elapsed "CleanRL's 8 envs"
timeout 90 $SPS $GROUPS2 --skip-ale --no-torch-deterministic --json "$OUT_DIR/groups2_nondeterministic.json" 2>&1 | tail -3
elapsed "16 envs, 2 groups, nondeterministic cuDNN"
