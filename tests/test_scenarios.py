"""Scripted play with known outcomes, per game."""

from __future__ import annotations

import numpy as np

from scoregames.diagnostics.adapters import ADAPTERS
from scoregames.games import pong as pong_rules

from .helpers import play

# The diagnostics' scripted Catch controllers: one plays for the fruit, one chases the star.
catch_tracker = ADAPTERS["Catch"].play
star_chaser = ADAPTERS["Catch"].decoy


def test_catch_tracker_catches_every_fruit() -> None:
    infos = play("Catch", catch_tracker, 2000)
    assert infos[-1]["true_score"] == 20 == infos[-1]["displayed_score"]
    sides = [i["reward_side"] for i in infos if i["reward_side"] >= 0]
    assert len(sides) == 20 and set(sides) <= {0, 1, 2}


def test_catch_spawn_knob_sets_where_rewards_appear() -> None:
    for spawn, side in (("left", 0), ("center", 1), ("right", 2)):
        infos = play("Catch", catch_tracker, 2000, spawn=spawn, drops=6)
        sides = [i["reward_side"] for i in infos if i["reward_side"] >= 0]
        assert sides == [side] * 6, spawn


def test_catch_idle_paddle_misses_off_centre_fruit() -> None:
    infos = play("Catch", lambda state: 0, 2000, spawn="left", drops=5)
    assert infos[-1]["true_score"] == -5


def test_catch_decoy_counts_only_on_the_decoupled_display() -> None:
    infos = play("Catch", star_chaser, 2000, hud="decoupled", decoy_prob=1.0, drops=8)
    assert infos[-1]["displayed_score"] == 8 and infos[-1]["true_score"] == -8


def breakout_tracker(state) -> int:  # type: ignore[no-untyped-def]
    if not state.in_play:
        return 1
    centre = state.paddle_x + 8
    return 0 if abs(centre - state.ball_x - 1) < 3 else 2 if state.ball_x + 1 > centre else 3


def test_breakout_needs_fire_and_a_tracker_scores() -> None:
    idle = play("Breakout", lambda state: 0, 300)
    assert idle[-1]["true_score"] == 0 and idle[-1]["lives"] == 5
    tracked = play("Breakout", breakout_tracker, 1500)
    assert tracked[-1]["true_score"] >= 30 and tracked[-1]["lives"] >= 4
    rows = {i["brick_row"] for i in tracked} - {-1}
    assert rows and rows <= set(range(6))


def pong_edge_player(state: pong_rules.PongState) -> int:
    # Meet the ball with the paddle's edge: steep returns the opponent cannot reach.
    target = state.ball_y + 1 - 2
    centre = state.player_y + pong_rules.PADDLE_H / 2
    return 0 if abs(target - centre) < 2 else 2 if target > centre else 1


def test_pong_opponent_is_beatable_but_not_trivial() -> None:
    idle = play("Pong", lambda state: 0, 5000, points_to_win=5)
    assert idle[-1]["true_score"] == -5 and idle[-1]["displayed_score"] == 0
    skilled = play("Pong", pong_edge_player, 20000, points_to_win=5)
    final = skilled[-1]
    assert final["true_score"] > 0 and final["displayed_score"] == 5
    assert any(i["point_won"] == -1 for i in skilled) or final["true_score"] == 5
    returns = sum(i["decoy_events"] for i in skilled)
    assert returns >= 5


def test_pong_display_shows_the_players_points_not_the_difference() -> None:
    infos = play("Pong", lambda state: 0, 5000, points_to_win=3, hud="offset")
    assert infos[-1]["true_score"] == -3 and infos[-1]["displayed_score"] == 50
    assert np.diff([i["displayed_score"] for i in infos]).max() == 0


def test_catch_star_is_visible_and_darker_than_the_fruit_in_grayscale() -> None:
    """The agents see gray: the star must not share the fruit's level, nor outshine it (Catch-v1).

    Catch-v0's light star was brighter than the fruit, and PPO took several times longer to learn
    to ignore it; its colour is kept only to rebuild v0.
    """
    from scoregames.render import PALETTE

    for weights in ((0.2125, 0.7154, 0.0721), (0.299, 0.587, 0.114)):  # Gymnasium's and OpenCV's
        level = {name: float(np.dot(weights, PALETTE[name])) for name in ("fruit", "decoy", "decoy_light")}
        assert 60 < level["decoy"] < level["fruit"] - 20  # 70 / 95 (Gymnasium), 76 / 108 (OpenCV)
        assert level["decoy_light"] > level["fruit"] + 60  # v0's star
