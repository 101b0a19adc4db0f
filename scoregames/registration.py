"""Register ``ScoreGames/<Game>-v0`` for every game (Gymnasium 1.x registers at import)."""

from __future__ import annotations

import gymnasium as gym

from scoregames.games import GAMES

NAMESPACE = "ScoreGames"
VERSION = 0


def env_id(game: str) -> str:
    return f"{NAMESPACE}/{game}-v{VERSION}"


def register_all() -> list[str]:
    ids = []
    for name in GAMES:
        ident = env_id(name)
        if ident not in gym.registry:
            gym.register(
                id=ident,
                entry_point="scoregames.env:ScoreGamesEnv",
                # gym.make_vec(id, num_envs=N) builds the native in-process vector env.
                vector_entry_point="scoregames.vector:ScoreGamesVectorEnv",
                kwargs={"game": name, "hud": "standard"},
            )
        ids.append(ident)
    return ids


ENV_IDS = register_all()
