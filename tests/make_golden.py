"""Regenerate tests/golden_frames.json: ``python -m tests.make_golden`` (only when pixels change on purpose,
with a new env version and a CHANGELOG entry)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import gymnasium as gym
import numpy as np

import scoregames  # noqa: F401
from scoregames.games import GAMES
from scoregames.registration import env_id

GOLDEN = Path(__file__).with_name("golden_frames.json")
STEPS = 200
HUDS = ("standard", "tamper", "decoupled")


def frame_digest(game: str, hud: str) -> str:
    """SHA-256 over every frame of a fixed seed and action sequence."""
    env = gym.make(env_id(game), hud=hud)
    obs, _ = env.reset(seed=123)
    digest = hashlib.sha256(obs.tobytes())
    for action in np.random.default_rng(123).integers(0, env.action_space.n, STEPS):
        obs, _, terminated, truncated, _ = env.step(int(action))
        digest.update(obs.tobytes())
        if terminated or truncated:
            obs, _ = env.reset()
            digest.update(obs.tobytes())
    return digest.hexdigest()


def main() -> None:
    golden = {f"{game}/{hud}": frame_digest(game, hud) for game in GAMES for hud in HUDS}
    GOLDEN.write_text(json.dumps(golden, indent=2) + "\n")


if __name__ == "__main__":
    main()
