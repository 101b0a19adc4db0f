"""Golden frame hashes: pixels of a fixed seed and action sequence never change silently.

A change in game rules or pixels needs a new env version, a CHANGELOG entry and
``python -m tests.make_golden``.
"""

from __future__ import annotations

import json

import pytest

from scoregames.games import GAMES

from .make_golden import GOLDEN, HUDS, frame_digest

RECORDED = json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_frames_match_the_recorded_hashes(key: str) -> None:
    game, hud = key.split("/")
    assert frame_digest(game, hud) == RECORDED[key]


def test_every_game_and_hud_has_a_recorded_hash() -> None:
    assert {f"{game}/{hud}" for game in GAMES for hud in HUDS} <= set(RECORDED)
