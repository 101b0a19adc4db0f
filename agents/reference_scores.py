"""Reference true returns per game: the scripted expert (the diagnostics' ``true-score`` oracle,
which reads the game state) and uniform-random play, for "fraction of expert" in the README.

    python agents/reference_scores.py --episodes 5 --json runs/reference_scores.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scoregames  # noqa: E402
from scoregames.bench import json_path_problem, save_json_new  # noqa: E402
from scoregames.diagnostics.oracles import make_oracle  # noqa: E402


def play(env_id: str, oracle: str, episodes: int, max_steps: int) -> list[float]:
    env = gym.make(env_id)
    policy = make_oracle(oracle, env_id, seed=0)
    scores = []
    for episode in range(episodes):
        frame, info = env.reset(seed=10_000 + episode)
        policy.reset(env)
        for _ in range(max_steps):
            frame, _, terminated, truncated, info = env.step(policy.act(frame, info))
            if terminated or truncated:
                break
        scores.append(float(info["true_score"]))
    env.close()
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--games", nargs="*", default=list(scoregames.GAMES))
    parser.add_argument("--episodes", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=27_000, help="agent steps per episode at most")
    parser.add_argument("--json", type=Path, default=None, help="also write the table here (refuses to overwrite)")
    options = parser.parse_args()
    unknown = [game for game in options.games if game not in scoregames.GAMES]
    if unknown:
        parser.error(f"unknown game(s) {', '.join(unknown)}; valid: {', '.join(scoregames.GAMES)}")
    for flag in ("episodes", "max_steps"):
        if getattr(options, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(options, flag)}")
    if options.json is not None and (
        problem := json_path_problem(str(options.json))
    ):  # checked before minutes of play, not after
        parser.error(problem)
    table = {}
    for game in options.games:
        env_id = scoregames.env_id(game)
        row = {}
        for oracle in ("true-score", "random"):
            try:
                row[oracle] = float(np.mean(play(env_id, oracle, options.episodes, options.max_steps)))
            except Exception as error:  # a game without a scripted adapter yet
                row[oracle] = None
                row[f"{oracle}_error"] = f"{type(error).__name__}: {error}"
        table[env_id] = row
        print(env_id, row, flush=True)
    if options.json:
        save_json_new(options.json, table)  # a file that appeared meanwhile is kept


if __name__ == "__main__":
    main()
