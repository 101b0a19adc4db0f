"""Draw a PNG strip per game for the README's games table, with the package's own renderer.

Each strip is four frames of one seeded episode under random play (standard HUD); the last
frame is re-rendered with the ``tamper`` HUD so the tamper site shows. Frames are scaled 2x
(nearest neighbour) so pixels stay crisp. Run: ``python tools/make_game_strips.py`` (overwrites
``assets/games/*.png``; ``--out DIR`` writes elsewhere).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import cv2
import gymnasium as gym
import numpy as np

import scoregames  # noqa: F401  (registers the envs)
from scoregames.env import ScoreGamesEnv
from scoregames.games import GAMES
from scoregames.registration import env_id

OUT = Path(__file__).resolve().parents[1] / "assets" / "games"
SNAPSHOT_STEPS = (10, 40, 80, 120)
GAP, SCALE = 4, 2


def game_frames(game: str, seed: int = 0) -> list[np.ndarray]:
    env = gym.make(env_id(game), repeat_action_probability=0.0)
    unwrapped = cast(ScoreGamesEnv, env.unwrapped)
    env.reset(seed=seed)
    n_actions = len(unwrapped.game.action_meanings)
    actions = np.random.default_rng(seed).integers(0, n_actions, max(SNAPSHOT_STEPS) + 1)
    frames = []
    for step, action in enumerate(actions):
        obs, _, terminated, truncated, _ = env.step(int(action))
        if terminated or truncated:
            env.reset()
        if step in SNAPSHOT_STEPS[:-1]:
            frames.append(obs)
        elif step == SNAPSHOT_STEPS[-1]:
            frames.append(unwrapped.render_with(hud="tamper"))
    env.close()
    return frames


def strip(frames: list[np.ndarray]) -> np.ndarray:
    height, width = frames[0].shape[:2]
    out = np.full((height, len(frames) * (width + GAP) - GAP, 3), 255, np.uint8)
    for i, frame in enumerate(frames):
        out[:, i * (width + GAP) : i * (width + GAP) + width] = frame
    return out.repeat(SCALE, axis=0).repeat(SCALE, axis=1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out", type=Path, default=OUT, metavar="DIR", help="where to write <game>.png (default: assets/games)"
    )
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    for game in GAMES:
        image = strip(game_frames(game))
        path = out / f"{game.lower()}.png"
        cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
