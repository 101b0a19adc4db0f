"""Env versions: each game's latest id, and earlier versions that still rebuild exactly.

Catch-v1 changed only the star's colour, Harvest-v1 only the reward for two fruit caught in one
frame, Freeway-v1 only where each lane's traffic starts, Pong-v1 only the opponent's number under
displays that do not follow play; the v0s stay registered (light star; +1 for such a catch; one
start shared by all lanes; a live opponent number) so runs, checkpoints and recordings made on
them can still be diagnosed and replayed.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import scoregames  # noqa: F401  (registers the envs)
from scoregames.games import GAMES, make_game
from scoregames.games import freeway as freeway_rules
from scoregames.registration import env_id
from scoregames.render import PALETTE

STAR_ONLY = {"decoy_prob": 1.0, "repeat_action_probability": 0.0}


def star_pixels(obs: np.ndarray, color: np.ndarray) -> int:
    return int(np.all(obs == color, axis=-1).sum())


def test_env_id_names_the_latest_version_and_checks_its_arguments() -> None:
    assert env_id("Catch") == "ScoreGames/Catch-v1"
    assert env_id("Catch", 0) == "ScoreGames/Catch-v0"
    assert env_id("Pong") == "ScoreGames/Pong-v1"
    assert env_id("Freeway") == "ScoreGames/Freeway-v1"
    with pytest.raises(ValueError, match="Catch has versions 0 to 1"):
        env_id("Catch", 2)
    for malformed in (True, 1.0, "1"):  # no "Catch-vTrue", "Catch-v1.0" or TypeError
        with pytest.raises(ValueError, match=rf"Catch has versions 0 to 1; got {malformed!r}"):
            env_id("Catch", malformed)  # type: ignore[arg-type]
    assert env_id("Catch", np.int64(0)) == "ScoreGames/Catch-v0"
    with pytest.raises(ValueError, match="unknown game 'Tetris'; valid: Catch"):
        env_id("Tetris")


@pytest.mark.parametrize("name", list(GAMES))
def test_every_earlier_version_is_registered_with_its_knobs(name: str) -> None:
    game = GAMES[name]
    assert set(game.earlier_versions) == set(range(game.version))
    for version in range(game.version + 1):
        spec = gym.spec(env_id(name, version))
        assert spec.kwargs == {"game": name, "hud": "standard", **game.earlier_versions.get(version, {})}


def test_catch_v1_draws_the_dark_star_and_v0_the_light_one() -> None:
    new, _ = gym.make(env_id("Catch"), **STAR_ONLY).reset(seed=0)
    old, _ = gym.make(env_id("Catch", 0), **STAR_ONLY).reset(seed=0)
    assert star_pixels(new, PALETTE["decoy"]) > 0 and star_pixels(new, PALETTE["decoy_light"]) == 0
    assert star_pixels(old, PALETTE["decoy_light"]) == star_pixels(new, PALETTE["decoy"])
    # the native vector env builds the same version as gym.make
    envs = gym.make_vec(env_id("Catch", 0), num_envs=2, **STAR_ONLY)
    vector_obs, _ = envs.reset(seed=0)
    assert np.array_equal(vector_obs[0], old)


def test_catch_versions_differ_only_in_pixels() -> None:
    """Same seed and actions: identical rewards, scores and flags; only the star's pixels differ."""
    old, new = gym.make(env_id("Catch", 0), **STAR_ONLY), gym.make(env_id("Catch"), **STAR_ONLY)
    old.reset(seed=5)
    new.reset(seed=5)
    for action in np.random.default_rng(5).integers(0, 3, 400):
        a, b = old.step(int(action)), new.step(int(action))
        assert a[1:4] == b[1:4] and a[4]["true_score"] == b[4]["true_score"]
        assert a[4]["reward_x"] == b[4]["reward_x"]
        star = np.all(a[0] == PALETTE["decoy_light"], axis=-1)
        assert np.array_equal(np.all(b[0] == PALETTE["decoy"], axis=-1), star)
        assert np.array_equal(a[0][~star], b[0][~star])
        if a[2]:
            break


def test_unknown_star_shade_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown star 'pink'; valid: 'dark', 'light'"):
        make_game("Catch", star="pink")


def harvest_double_catch(catch_reward: str) -> tuple[float, int]:
    """The hero between two lanes walks into a fruit in each in the same frame: (reward, score)."""
    from scoregames.games.harvest import FRUIT, LANES_AT, HarvestState

    game = make_game("Harvest", catch_reward=catch_reward)
    row = next(row for row, lanes in enumerate(LANES_AT) if len(lanes) == 2)
    state = HarvestState(y=float(row), next_event=10**9)
    for lane in LANES_AT[row]:
        state.kind[lane], state.offset[lane], state.speed[lane] = FRUIT, state.x, 0.0
        state.until[lane] = 10**9
    tick = game.step(state, 0, np.random.default_rng(0), dict(game.flags))
    return tick.reward, game.shown_score(state)


def test_harvest_v1_pays_each_fruit_caught_in_one_frame_as_its_display_counts() -> None:
    assert harvest_double_catch("per_fruit") == (2.0, 2)
    assert harvest_double_catch("per_frame") == (1.0, 2)  # v0's rule, rebuilt for its runs
    assert gym.spec(env_id("Harvest", 0)).kwargs["catch_reward"] == "per_frame"
    assert env_id("Harvest") == "ScoreGames/Harvest-v1"


# ---------------------------------------------------------------- Freeway-v1: a start per lane
def freeway_reset_frames(version: int, seeds: range) -> list[bytes]:
    env = gym.make(env_id("Freeway", version), repeat_action_probability=0.0)
    return [env.reset(seed=seed)[0].tobytes() for seed in seeds]


def test_freeway_v1_gives_every_seed_its_own_start() -> None:
    """Invariant 3 on the reset frame alone: v1 draws each lane's start, so 200 seeds give 200 frames."""
    assert len(set(freeway_reset_frames(1, range(200)))) == 200
    # Negative control: v0's one start shared by all lanes has only 240 values, so seeds collide.
    old = freeway_reset_frames(0, range(40))
    assert len(set(old)) == 34 and old[2] == old[4]


def test_freeway_v0_still_shares_one_start_drawn_as_before() -> None:
    """v0 rebuilds exactly (its golden hashes pin the pixels): one draw of the game's stream,
    the same point of the cycle for every lane."""
    assert gym.spec(env_id("Freeway", 0)).kwargs["lane_phases"] == "shared"
    old = make_game("Freeway", lane_phases="shared").reset(np.random.default_rng(7))
    assert old.phase == (int(np.random.default_rng(7).integers(freeway_rules.PERIOD)),) * 8
    new = make_game("Freeway").reset(np.random.default_rng(7))
    assert len(new.phase) == 8 and len(set(new.phase)) > 1
    assert all(0 <= phase < freeway_rules.PERIOD for phase in new.phase)


def test_freeway_v0_seeds_with_one_start_play_identical_episodes_and_v1_ones_do_not() -> None:
    """The defect v1 fixes: on v0 seeds 2 and 4 give the same episode frame for frame."""
    for version, identical in ((0, True), (1, False)):
        runs = []
        for seed in (2, 4):
            env = gym.make(env_id("Freeway", version), repeat_action_probability=0.0)
            frames = [env.reset(seed=seed)[0]] + [env.step(1)[0] for _ in range(60)]
            runs.append(np.stack(frames))
        assert np.array_equal(*runs) == identical


def test_freeway_lanes_follow_their_own_start() -> None:
    """Each lane's cars are drawn, and hit the chicken, at that lane's own point of the cycle."""
    game = make_game("Freeway")
    state = game.reset(np.random.default_rng(0))
    state.phase = tuple(range(0, 80, 10))
    frame = np.empty((128, 128, 3), np.uint8)
    game.draw(state, frame)
    _, cars, masks = freeway_rules.traffic("none")
    for lane, y in enumerate(freeway_rules.LANE_Y):
        rows = frame[y + freeway_rules.CAR_TOP : y + freeway_rules.CAR_TOP + freeway_rules.CAR_H]
        assert np.array_equal(rows, cars[lane, state.phase[lane]])
    lane, own, others = 5, 60, 180  # lane 5: one car, half the screen away at the other point
    covers = [bool(bits & masks[lane][own]) and not bits & masks[lane][others] for bits in freeway_rules.CHICKEN_BITS]
    x, top = covers.index(True), freeway_rules.LANE_Y[lane] + freeway_rules.CAR_TOP
    state.phase = tuple(own if i == lane else others for i in range(8))
    assert game.hit(state, top, x)
    state.phase = tuple(others if i == lane else own for i in range(8))
    assert not game.hit(state, top, x)


# ---------------------------------------------------------------- Pong-v1: opponent under spoofs
def hud_pixels_around_a_lost_point(version: int, hud: object) -> tuple[np.ndarray, np.ndarray]:
    """The pixels inside ``hud_bbox`` one step before and at the step the opponent scores (NOOP)."""
    env = gym.make(env_id("Pong", version), hud=hud, repeat_action_probability=0.0)
    obs, info = env.reset(seed=0)
    for _ in range(1000):
        before = obs[info["hud_bbox"][1] : info["hud_bbox"][3], info["hud_bbox"][0] : info["hud_bbox"][2]]
        obs, _, _, _, info = env.step(0)
        if info["point_won"] == -1:
            x0, y0, x1, y1 = info["hud_bbox"]
            return before, obs[y0:y1, x0:x1]
    raise AssertionError("the opponent never scored")


# noise without moves: the walk stays at 0, so any change of the box is the opponent's number
PLAY_INDEPENDENT = ["frozen", {"preset": "noise", "noise_rate": 0.0}, "decoupled"]


@pytest.mark.parametrize("hud", PLAY_INDEPENDENT)
def test_pong_v1_opponent_number_stays_put_under_displays_that_do_not_follow_play(hud: object) -> None:
    before, after = hud_pixels_around_a_lost_point(1, hud)
    assert np.array_equal(before, after)
    # Negative control: v0 (still registered for runs made on it) showed the opponent's point.
    before, after = hud_pixels_around_a_lost_point(0, hud)
    assert not np.array_equal(before, after)


@pytest.mark.parametrize("hud", ["standard", "offset", "tamper", "moved"])
def test_pong_v1_opponent_number_is_live_under_displays_that_follow_play(hud: str) -> None:
    for version in (0, 1):
        before, after = hud_pixels_around_a_lost_point(version, hud)
        assert before.shape != after.shape or not np.array_equal(before, after)


def test_pong_v1_noise_display_shows_the_opponent_at_zero_all_episode() -> None:
    env = gym.make(env_id("Pong"), hud="noise", repeat_action_probability=0.0, points_to_win=3)
    env.reset(seed=0)
    hud, lost = env.unwrapped.hud, 0
    for _ in range(3000):
        _, _, terminated, _, info = env.step(0)
        lost += info["point_won"] == -1
        assert hud.text(info["displayed_score"], env.unwrapped.game.opponent_score(env.unwrapped.game_state)).endswith(
            " 0"
        )
        if terminated:
            break
    assert lost == 3


def test_pong_v1_counterfactual_frames_keep_the_opponent_where_it_began() -> None:
    """render_with(hud=...) under a play-independent spoof also keeps the opponent's first value."""
    env = gym.make(env_id("Pong"), repeat_action_probability=0.0)
    env.reset(seed=0)
    while env.step(0)[4]["point_won"] != -1:
        pass
    unwrapped = env.unwrapped
    frozen = unwrapped.render_with(hud="frozen")
    assert unwrapped.game.opponent_score(unwrapped.game_state) == 1
    fresh = gym.make(env_id("Pong"), hud="frozen", repeat_action_probability=0.0)
    start, info = fresh.reset(seed=0)
    x0, y0, x1, y1 = info["hud_bbox"]  # "0 0": the same text, so the same box and pixels
    assert np.array_equal(frozen[y0:y1, x0:x1], start[y0:y1, x0:x1])


def test_pong_versions_differ_only_under_displays_that_do_not_follow_play() -> None:
    """Same seed and actions: identical rules; identical frames under a faithful display."""
    for hud, same_frames in (("standard", True), ("frozen", False)):
        old, new = (gym.make(env_id("Pong", v), hud=hud, repeat_action_probability=0.0) for v in (0, 1))
        old.reset(seed=3)
        new.reset(seed=3)
        frames_equal = True
        for action in np.random.default_rng(3).integers(0, 3, 600):
            a, b = old.step(int(action)), new.step(int(action))
            assert a[1:4] == b[1:4] and a[4]["true_score"] == b[4]["true_score"]
            assert a[4]["displayed_score"] == b[4]["displayed_score"]
            frames_equal &= bool(np.array_equal(a[0], b[0]))
        assert frames_equal == same_frames
