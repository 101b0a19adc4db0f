"""What one vector-env step costs the *learner's* process, with and without env workers.

    python benchmarks/vector_glue.py                       # Breakout, 8 envs, as agents/ppo.py steps it
    python benchmarks/vector_glue.py --game Pong --num-envs 16 --workers 1 2 4 --json glue.json

With env workers (``gym.make_vec(..., workers=K)``) the games step in other processes, so what the
learner pays per step is glue: sending the actions, receiving rewards, flags and infos, joining
the shards. That glue is what stays on the learner's critical path when ``agents/ppo.py
--env-groups 2`` hides the games behind the network. It is measured here as the learner's
*CPU time* (``time.process_time``) per ``step_async`` + ``step_wait``: waiting for a worker costs
no CPU, so the figure holds on a busy machine too. ``workers 0`` is the in-process env, where the
learner does all the work. Envs are built as the agents build them (gray 84x84, 4 stacked,
SAME_STEP autoreset, ``copy=False``); actions are random.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scoregames  # noqa: E402
from scoregames.bench import json_path_problem, save_json_new  # noqa: E402
from scoregames.policies import agent_vector_env  # noqa: E402


def learner_cpu_per_step(game: str, num_envs: int, workers: int, steps: int, repeats: int) -> dict:
    envs = agent_vector_env(scoregames.env_id(game), num_envs, "standard", "true", workers)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, envs.single_action_space.n, (steps * repeats + 50, num_envs))
    envs.reset(seed=0)
    step_async = getattr(envs, "step_async", None)
    step_wait = getattr(envs, "step_wait", None)
    for t in range(50):  # warm-up: caches, first episodes
        envs.step(actions[t])
    samples, episodes = [], 0
    for r in range(repeats):
        start = time.process_time()
        for t in range(50 + r * steps, 50 + (r + 1) * steps):
            if step_async is not None:
                step_async(actions[t])
                _, _, terminated, truncated, _ = step_wait()
            else:
                _, _, terminated, truncated, _ = envs.step(actions[t])
            episodes += int((terminated | truncated).sum())
        samples.append((time.process_time() - start) / steps * 1e6)
    envs.close()
    return {
        "game": game,
        "num_envs": num_envs,
        "workers": workers,
        "learner_cpu_us_per_step": round(statistics.median(samples), 1),
        "samples_us": [round(s, 1) for s in samples],
        "episodes_ended": episodes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--game", default="Breakout")
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2, 4])
    parser.add_argument("--steps", type=int, default=1000, help="steps per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the rows here (refuses to overwrite)")
    options = parser.parse_args()
    if options.game not in scoregames.GAMES:
        parser.error(f"unknown --game {options.game!r}; valid: {', '.join(scoregames.GAMES)}")
    for flag in ("num_envs", "steps", "repeats"):
        if getattr(options, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(options, flag)}")
    if any(not 0 <= workers <= options.num_envs for workers in options.workers):
        parser.error(f"--workers must each be from 0 to --num-envs ({options.num_envs}), got {options.workers}")
    if options.json is not None and (
        problem := json_path_problem(str(options.json))
    ):  # checked before the measurements, not after
        parser.error(problem)
    rows = []
    for workers in options.workers:
        row = learner_cpu_per_step(options.game, options.num_envs, workers, options.steps, options.repeats)
        rows.append(row)
        where = "in-process" if workers == 0 else f"{workers} worker{'s' if workers > 1 else ''}"
        print(
            f"{options.game} x{options.num_envs} {where:>11}: learner CPU {row['learner_cpu_us_per_step']:7.1f} us/step "
            f"({row['learner_cpu_us_per_step'] / options.num_envs:5.1f} us per env step)",
            flush=True,
        )
    if options.json is not None:
        save_json_new(options.json, rows)  # a file that appeared meanwhile is kept


if __name__ == "__main__":
    main()
