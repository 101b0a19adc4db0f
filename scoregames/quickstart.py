"""``scoregames quickstart``: the README demo.

Plays every game with a fixed random policy under the ``standard`` and ``decoupled``
displays and prints, per game, the true score beside what each display showed: the
display can disagree with the real score while the game itself is identical.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

from scoregames.games import GAMES
from scoregames.registration import env_id


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=2000, help="steps per game and display")
    parser.add_argument("--seed", type=int, default=0)


def play_random(game: str, hud: str, steps: int, seed: int) -> tuple[int, int]:
    env = gym.make(env_id(game), hud=hud)
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, env.action_space.n, steps)
    info: dict = {}
    for action in actions:
        _, _, terminated, truncated, info = env.step(int(action))
        if terminated or truncated:
            break
    env.close()
    return int(info["true_score"]), int(info["displayed_score"])


def run(args: argparse.Namespace) -> int:
    print(f"{'game':<10} {'true score':>10} {'standard shows':>15} {'decoupled shows':>16}")
    for game in GAMES:
        true_score, standard = play_random(game, "standard", args.steps, args.seed)
        _, decoupled = play_random(game, "decoupled", args.steps, args.seed)
        print(f"{game:<10} {true_score:>10} {standard:>15} {decoupled:>16}")
    return 0
