"""Register ``ScoreGames/<Game>-v<N>`` for every game and version (Gymnasium 1.x registers at import).

Each game carries its own version (``Game.version``), raised whenever its rules or pixels change.
Earlier versions stay registered, rebuilt from the knobs in ``Game.earlier_versions``, so a run,
checkpoint or recording made on one can still be replayed, diagnosed and compared on it.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import gymnasium as gym

from scoregames.games import GAMES

NAMESPACE = "ScoreGames"


def env_id(game: str, version: int | None = None) -> str:
    """The id of ``game`` at ``version`` (default: its latest), e.g. ``ScoreGames/Catch-v1``."""
    if game not in GAMES:
        raise ValueError(f"unknown game {game!r}; valid: {', '.join(GAMES)}")
    latest = GAMES[game].version
    if version is None:
        version = latest
    # A bool or float would make a malformed id ("Catch-vTrue", "Catch-v1.0") or a TypeError.
    if isinstance(version, bool) or not isinstance(version, Integral) or not 0 <= version <= latest:
        raise ValueError(f"{game} has versions 0 to {latest}; got {version!r}")
    return f"{NAMESPACE}/{game}-v{int(version)}"


def game_name(env_id_: str) -> str:
    """The game's name in an env id: ``ScoreGames/Catch-v1`` (or ``module:ScoreGames/Catch-v1``) -> ``Catch``.

    >>> game_name("ScoreGames/Catch-v1"), game_name("scoregames:ScoreGames/Pong-v0")
    ('Catch', 'Pong')
    """
    return env_id_.split("/")[-1].split(":")[-1].rsplit("-v", 1)[0]


def is_scoregames_id(env_id_: str) -> bool:
    """Whether a registered id is built by scoregames (``ALE/Breakout-v5``, say, is not).

    >>> import scoregames
    >>> is_scoregames_id("ScoreGames/Catch-v1")
    True
    """
    return "scoregames" in str(gym.spec(env_id_).entry_point)


def version_knobs(game: str, version: int) -> dict[str, Any]:
    """The game knobs that rebuild ``version`` of ``game`` (``{}`` for its latest)."""
    cls = GAMES[game]
    if version == cls.version:
        return {}
    if version not in cls.earlier_versions:
        raise ValueError(f"{game}-v{version} cannot be rebuilt: {game}.earlier_versions has no entry for it")
    return dict(cls.earlier_versions[version])


def register_all() -> list[str]:
    """Register every version of every game; returns every registered id, oldest version first."""
    ids = []
    for name, cls in GAMES.items():
        for version in range(cls.version + 1):
            ident = env_id(name, version)
            if ident not in gym.registry:
                gym.register(
                    id=ident,
                    entry_point="scoregames.env:ScoreGamesEnv",
                    # gym.make_vec(id, num_envs=N) builds the native vector env (workers=K: K processes).
                    vector_entry_point="scoregames.parallel:make_vector_env",
                    kwargs={"game": name, "hud": "standard", **version_knobs(name, version)},
                )
            ids.append(ident)
    return ids


ALL_ENV_IDS = register_all()  # every version: what gym.make, replays and diagnoses accept
ENV_IDS = [env_id(name) for name in GAMES]  # the latest version of each game
