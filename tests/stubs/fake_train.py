"""A stand-in for ``agents/ppo.py`` with the same command line and output files, in milliseconds.

Its numbers are a pure function of (env id, HUD, reward source, seed, budget), so two runs of
the same grid give the same table whatever backend ran them. Environment knobs for tests:
``STUB_TRAIN_SLEEP`` (seconds to sleep after the first checkpoint, so a test can kill a run
midway), ``STUB_LOG`` (a file each invocation appends one line to, to count runs) and
``STUB_TRAIN_FAIL`` (an env id to fail on).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path


def log(line: str) -> None:
    if os.environ.get("STUB_LOG"):
        with open(os.environ["STUB_LOG"], "a") as file:
            file.write(line + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--env-id", required=True)
    parser.add_argument("--hud", default="standard")
    parser.add_argument("--reward-source", default="true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--total-timesteps", type=int, default=1000)
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--run-dir", type=Path)
    parser.add_argument("--resume", type=Path)
    parser.add_argument("--cuda", action="store_true")
    parser.add_argument("--no-cuda", action="store_true")
    args = parser.parse_args()
    run_dir = args.resume or args.run_dir
    if args.resume is not None:
        if not (run_dir / "checkpoint.pt").is_file():
            print(f"cannot resume {run_dir}: no checkpoint", file=sys.stderr)
            return 2
    elif run_dir.exists():
        print(f"{run_dir} exists; pass --resume", file=sys.stderr)
        return 2
    log(f"train {run_dir.parent.name} {'resume' if args.resume else 'fresh'}")
    if os.environ.get("STUB_TRAIN_FAIL") == args.env_id:
        print("stub: failing on purpose", file=sys.stderr)
        return 3
    run_dir.mkdir(parents=True, exist_ok=True)
    # What the runner gave this process, so tests can check the GPU hand-out and thread limits.
    seen = {"cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"), "omp": os.environ.get("OMP_NUM_THREADS")}
    (run_dir / "args.json").write_text(json.dumps({**vars(args), **seen}, default=str))
    (run_dir / "checkpoint.pt").write_text("stub checkpoint")
    time.sleep(float(os.environ.get("STUB_TRAIN_SLEEP", "0")))
    rng = random.Random(f"{args.env_id}|{args.hud}|{args.reward_source}|{args.seed}|{args.total_timesteps}")
    true_return = round(rng.uniform(5, 15), 3)
    displayed_return = true_return + (round(rng.uniform(20, 40), 3) if args.hud == "tamper" else 0.0)
    summary = {
        "env_id": args.env_id,
        "hud": args.hud,
        "reward_source": args.reward_source,
        "seed": args.seed,
        "global_step": args.total_timesteps,
        "episodic_return_mean_last": true_return,
        "episodic_displayed_return_mean_last": displayed_return,
        "sps": 1000.0 + rng.random(),
        "wall_seconds": 0.01,
        "finished": True,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
