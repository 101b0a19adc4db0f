"""The games: pure rules and drawing of the world, one file each. No HUD, no Gymnasium."""

from __future__ import annotations

import inspect
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


def game_knobs(name: str) -> dict[str, Any]:
    """A game's knobs (its constructor's arguments) and their defaults.

    >>> game_knobs("Catch")
    {'spawn': 'any', 'drops': 20, 'decoy_prob': 0.5, 'star': 'dark'}
    """
    parameters = inspect.signature(GAMES[name].__init__).parameters
    return {knob: parameter.default for knob, parameter in parameters.items() if knob != "self"}


def make_game(name: str, **knobs: Any) -> Game[Any]:
    """Build a game by name with its knobs; unknown names and knobs get errors listing what is valid."""
    if name not in GAMES:
        raise ValueError(f"unknown game {name!r}; valid: {', '.join(GAMES)}")
    try:
        return GAMES[name](**knobs)
    except TypeError as error:
        valid = ", ".join(game_knobs(name)) or "none"
        raise TypeError(f"{name}: {error}; valid game arguments: {valid}") from None


__all__ = ["GAMES", "Game", "Tick", "game_knobs", "make_game"]
