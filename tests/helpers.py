"""Shared test helpers: rollouts with a fixed action sequence under a given HUD."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

import scoregames  # noqa: F401  (registers the envs)
from scoregames.games import GAMES
from scoregames.hud import PRESETS
from scoregames.registration import env_id

GAME_NAMES = list(GAMES)
ENV_IDS = [env_id(name) for name in GAME_NAMES]
PRESET_NAMES = list(PRESETS)


def action_sequence(game: str, steps: int, seed: int = 0) -> np.ndarray:
    """Random actions that still make things happen (FIRE is common in the mix)."""
    return np.random.default_rng(seed).integers(0, len(GAMES[game].action_meanings), steps)


def rollout(game: str, hud: Any = "standard", steps: int = 300, seed: int = 0, **kwargs: Any) -> dict[str, Any]:
    """Run one fixed action sequence, resetting on episode end; collect everything per step."""
    env = gym.make(env_id(game), hud=hud, **kwargs)
    obs, info = env.reset(seed=seed)
    record: dict[str, list[Any]] = {k: [] for k in ("obs", "reward", "terminated", "truncated", "info", "state")}
    record["obs"].append(obs)
    record["info"].append(info)
    for action in action_sequence(game, steps, seed):
        obs, reward, terminated, truncated, info = env.step(int(action))
        record["obs"].append(obs)
        record["reward"].append(reward)
        record["terminated"].append(terminated)
        record["truncated"].append(truncated)
        record["info"].append(info)
        record["state"].append(repr(env.unwrapped.game_state))
        if terminated or truncated:
            obs, info = env.reset()
            record["obs"].append(obs)
            record["info"].append(info)
    env.close()
    return record


def play(game: str, controller: Any, steps: int, seed: int = 0, **kwargs: Any) -> list[dict[str, Any]]:
    """Run a scripted controller (game state -> action) without sticky actions; infos per step."""
    env = gym.make(env_id(game), repeat_action_probability=0.0, **kwargs)
    _, info = env.reset(seed=seed)
    infos = [info]
    for _ in range(steps):
        _, _, terminated, truncated, info = env.step(controller(env.unwrapped.game_state))
        infos.append(info)
        if terminated or truncated:
            break
    return infos
