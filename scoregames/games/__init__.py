"""The games: pure rules and drawing of the world, one file each. No HUD, no Gymnasium."""

from __future__ import annotations

from typing import Any

from scoregames.games.base import Game, Tick
from scoregames.games.breakout import Breakout
from scoregames.games.catch import Catch
from scoregames.games.coinrun import CoinRun
from scoregames.games.freeway import Freeway
from scoregames.games.harvest import Harvest
from scoregames.games.pong import Pong
from scoregames.games.tamperroom import TamperRoom

GAMES: dict[str, type[Game[Any]]] = {
    game.name: game for game in (Catch, Breakout, Pong, CoinRun, TamperRoom, Freeway, Harvest)
}


def make_game(name: str, **knobs: Any) -> Game[Any]:
    """Build a game by name with its knobs; unknown names and knobs get errors listing what is valid."""
    if name not in GAMES:
        raise ValueError(f"unknown game {name!r}; valid: {', '.join(GAMES)}")
    cls = GAMES[name]
    try:
        return cls(**knobs)
    except TypeError as error:
        import inspect

        valid = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        raise TypeError(f"{name}: {error}; valid game arguments: {', '.join(valid) or 'none'}") from None


__all__ = ["GAMES", "Game", "Tick", "make_game"]
