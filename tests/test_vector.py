"""The native vector env gives exactly what a SyncVectorEnv of single envs gives."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.wrappers import FrameStackObservation, GrayscaleObservation, ResizeObservation

from scoregames.registration import env_id
from scoregames.vector import OutputPool, ScoreGamesVectorEnv, _area_table, _tall_resize_is_exact, batch_infos
from tests.helpers import ENV_IDS, GAME_NAMES, PRESET_NAMES

MODES = list(AutoresetMode)
NUM_ENVS = 4
# Short episodes (truncation after 15 steps) so every mode autoresets many times in a short run.
SHORT = {"max_num_frames_per_episode": 60}


def mixed_huds(num_envs: int, offset: int = 0) -> list[str]:
    """One batch mixing presets, including those with their own randomness (flicker, noise...)."""
    return [PRESET_NAMES[(offset + 3 * i) % len(PRESET_NAMES)] for i in range(num_envs)]


def sync_reference(game: str, huds: list[Any], mode: AutoresetMode, preprocess: bool = False, **kwargs: Any):
    def make(hud: Any):
        def thunk() -> gym.Env:
            env = gym.make(env_id(game), hud=hud, **kwargs)
            if preprocess:
                env = GrayscaleObservation(env)
                env = ResizeObservation(env, (84, 84))
                env = FrameStackObservation(env, 4)
            return env

        return thunk

    return SyncVectorEnv([make(hud) for hud in huds], autoreset_mode=mode)


def assert_same(actual: Any, expected: Any, where: str) -> None:
    """Exact equality of batched values, dtypes and nested info dicts."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{where}[{i}]")
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(expected), f"{where}: keys {sorted(set(actual) ^ set(expected))}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, np.ndarray) and expected.dtype == object:
        assert isinstance(actual, np.ndarray) and actual.dtype == object, where
        assert actual.shape == expected.shape, where
        for i, (a, e) in enumerate(zip(actual, expected)):
            if e is None:
                assert a is None, f"{where}[{i}]"
            else:
                assert_same(np.asarray(a), np.asarray(e), f"{where}[{i}]")
    else:
        actual, expected = np.asarray(actual), np.asarray(expected)
        assert actual.dtype == expected.dtype, f"{where}: dtype {actual.dtype} != {expected.dtype}"
        assert actual.shape == expected.shape, f"{where}: shape {actual.shape} != {expected.shape}"
        assert np.array_equal(actual, expected), f"{where}: values differ"


def run_side_by_side(
    native: gym.vector.VectorEnv, reference: gym.vector.VectorEnv, steps: int, seed: int, action_n: int
) -> dict[str, int]:
    """Same seeds and actions into both; every output compared. Returns what happened, so a
    test can check its run really exercised resets."""
    mode = reference.metadata["autoreset_mode"]
    rng = np.random.default_rng(seed)
    seen = {"ended": 0, "partial_resets": 0}
    assert_same(native.reset(seed=seed), reference.reset(seed=seed), "reset")
    for t in range(steps):
        actions = rng.integers(0, action_n, native.num_envs)
        got, want = native.step(actions), reference.step(actions)
        for name, a, e in zip(("obs", "reward", "terminated", "truncated", "info"), got, want):
            assert_same(a, e, f"step {t} {name}")
        ended = want[2] | want[3]
        seen["ended"] += int(ended.sum())
        if mode == AutoresetMode.DISABLED and ended.any():
            options = {"reset_mask": ended.copy()}
            assert_same(native.reset(options=options), reference.reset(options={"reset_mask": ended.copy()}), "mask")
            seen["partial_resets"] += 1
        elif t == steps // 3:
            # A partial reset mid-run (allowed in every mode) de-synchronises the episodes.
            mask = np.arange(native.num_envs) % 2 == 0
            assert_same(
                native.reset(options={"reset_mask": mask}), reference.reset(options={"reset_mask": mask.copy()}), "mask"
            )
            seen["partial_resets"] += 1
    return seen


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
@pytest.mark.parametrize("game", GAME_NAMES)
def test_matches_sync_vector_env(game: str, mode: AutoresetMode) -> None:
    huds = mixed_huds(NUM_ENVS, offset=len(game))
    native = gym.make_vec(env_id(game), num_envs=NUM_ENVS, hud=huds, autoreset_mode=mode, **SHORT)
    assert isinstance(native, ScoreGamesVectorEnv)
    reference = sync_reference(game, huds, mode, **SHORT)
    seen = run_side_by_side(native, reference, steps=50, seed=11, action_n=native.single_action_space.n)
    assert seen["ended"] >= NUM_ENVS and seen["partial_resets"] >= 1


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
def test_matches_sync_with_terminations_and_displayed_reward(mode: AutoresetMode) -> None:
    # Catch with one drop ends by termination (not truncation), under the displayed reward.
    kwargs = {"drops": 1, "reward_source": "displayed"}
    huds = ["offset", "tamper", "decoupled"]
    native = ScoreGamesVectorEnv("Catch", num_envs=3, hud=huds, autoreset_mode=mode.value, **kwargs)
    reference = sync_reference("Catch", huds, mode, **kwargs)
    seen = run_side_by_side(native, reference, steps=70, seed=3, action_n=3)
    assert seen["ended"] >= 3


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
@pytest.mark.parametrize("game", GAME_NAMES)
def test_preprocessing_equals_wrapper_stack(game: str, mode: AutoresetMode) -> None:
    huds = mixed_huds(3, offset=1)
    native = gym.make_vec(env_id(game), num_envs=3, hud=huds, autoreset_mode=mode, preprocess=True, **SHORT)
    assert native.observation_space.shape == (3, 4, 84, 84)
    reference = sync_reference(game, huds, mode, preprocess=True, **SHORT)
    seen = run_side_by_side(native, reference, steps=24, seed=5, action_n=native.single_action_space.n)
    assert seen["ended"] >= 3


def test_preprocessing_options_shape_rgb_and_stack_size() -> None:
    envs = ScoreGamesVectorEnv("Catch", num_envs=2, preprocess=True, frame_stack=2, image_size=64, grayscale=False)
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (2, 2, 64, 64, 3) and obs in envs.observation_space
    single = ResizeObservation(gym.make("ScoreGames/Catch-v1"), (64, 64))
    expected, _ = single.reset(seed=0)
    assert np.array_equal(obs[0, 0], expected) and np.array_equal(obs[0, 1], expected)


def test_batched_grayscale_and_resize_equal_gymnasium_on_arbitrary_pixels() -> None:
    # Not just game colours: every pixel random, so any colour or resize weight would show.
    import cv2

    from scoregames.vector import _Preprocessor

    rng = np.random.default_rng(0)
    n = 5
    raw = np.zeros(n * 128 * 128 * 3 + 1, np.uint8)
    frames = raw[:-1].reshape(n, 128, 128, 3)
    frames[:] = rng.integers(0, 256, frames.shape, dtype=np.uint8)
    preprocessor = _Preprocessor(n, 2, 84, grayscale=True)
    preprocessor.push(frames, raw)
    gray = GrayscaleObservation(gym.make("ScoreGames/Catch-v1"))
    for i in range(n):
        expected = cv2.resize(gray.observation(frames[i]), (84, 84), interpolation=cv2.INTER_AREA)
        assert np.array_equal(preprocessor.ring[preprocessor.head][i], expected)


def test_tall_resize_shortcut_is_only_taken_when_exact() -> None:
    # 128 -> 84 rows line up frame by frame; upscaling never does.
    assert _tall_resize_is_exact(128, 84, 16)
    assert not _tall_resize_is_exact(128, 160, 4)
    weights = {}
    for dx, _, alpha in _area_table(128, 84):
        weights[dx] = weights.get(dx, 0.0) + float(alpha)
    assert all(abs(total - 1.0) < 1e-5 for total in weights.values())


def test_make_vec_gives_native_env_for_every_game() -> None:
    for ident in ENV_IDS:
        envs = gym.make_vec(ident, num_envs=2)
        assert isinstance(envs, ScoreGamesVectorEnv)
        assert envs.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
        assert envs.observation_space.shape == (2, 128, 128, 3)
        assert envs.action_space.shape == (2,)
        envs.close()


def test_metadata_is_per_instance_and_mode_accepts_strings() -> None:
    same = ScoreGamesVectorEnv("Catch", num_envs=1, autoreset_mode="SameStep")
    disabled = ScoreGamesVectorEnv("Catch", num_envs=1, autoreset_mode=AutoresetMode.DISABLED)
    assert same.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP
    assert disabled.metadata["autoreset_mode"] is AutoresetMode.DISABLED
    assert same.metadata is not disabled.metadata
    assert "autoreset_mode" not in same.envs[0].metadata
    with pytest.raises(ValueError, match="valid: NextStep, SameStep, Disabled"):
        ScoreGamesVectorEnv("Catch", num_envs=1, autoreset_mode="sometimes")


def test_bad_arguments_name_what_is_valid() -> None:
    with pytest.raises(ValueError, match="one spec per sub-env"):
        ScoreGamesVectorEnv("Catch", num_envs=3, hud=["standard", "hidden"])
    with pytest.raises(ValueError, match="unknown HUD preset"):
        ScoreGamesVectorEnv("Catch", num_envs=2, hud=["standard", "sideways"])
    with pytest.raises(ValueError, match="num_envs"):
        ScoreGamesVectorEnv("Catch", num_envs=0)
    envs = ScoreGamesVectorEnv("Catch", num_envs=2)
    with pytest.raises(RuntimeError, match="reset"):
        envs.step([0, 0])
    envs.reset(seed=0)
    with pytest.raises(ValueError, match="expected 2 actions"):
        envs.step([0])
    with pytest.raises(ValueError, match="invalid action"):
        envs.step([0, 7])


def test_numpy_integer_counts_and_seeds_are_accepted_and_bad_ones_named() -> None:
    """``num_envs``, ``frame_stack``, ``image_size`` and ``max_episode_steps`` refused numpy integers;
    ``max_episode_steps=2.5`` or ``True`` passed unchecked, ``"5"`` and ``seed=1.5`` failed with
    bare TypeErrors from inside."""
    envs = gym.make_vec(
        "ScoreGames/Catch-v1",
        num_envs=np.int64(2),
        preprocess=True,
        frame_stack=np.int64(2),
        image_size=np.int32(42),
        max_episode_steps=np.int64(3),
    )
    obs, _ = envs.reset(seed=[np.int64(1), 2])
    assert obs.shape == (2, 2, 42, 42) and envs.max_episode_steps == 3
    for _ in range(3):
        truncations = envs.step(np.zeros(2, np.int64))[3]
    assert truncations.all()
    for bad in (2.5, True, "5", 0):
        with pytest.raises(ValueError, match=f"max_episode_steps must be an int >= 1 or None, got {bad!r}"):
            ScoreGamesVectorEnv("Catch", num_envs=1, max_episode_steps=bad)
    for name in ("num_envs", "frame_stack", "image_size"):
        with pytest.raises(ValueError, match=f"{name} must be an int >= 1, got 2.0"):
            ScoreGamesVectorEnv("Catch", **{"num_envs": 1, "preprocess": True, name: 2.0})
    for bad in (1.5, "3"):
        with pytest.raises(TypeError, match=f"seed must be an int, None or a list of 2 seeds, got {bad!r}"):
            envs.reset(seed=bad)


@pytest.mark.parametrize(
    "bad", [np.array([1, 7]), np.array([1, -1]), [1, "LEFT"], np.array([1.0, 2.0]), np.array([True, False])]
)
def test_a_bad_action_is_refused_before_any_sub_env_moves(bad: Any) -> None:
    envs = gym.make_vec("ScoreGames/Catch-v1", num_envs=2)
    twin = gym.make_vec("ScoreGames/Catch-v1", num_envs=2)
    envs.reset(seed=0)
    twin.reset(seed=0)
    with pytest.raises(ValueError, match=r"invalid action .* for Catch; valid: 0=NOOP, 1=RIGHT, 2=LEFT"):
        envs.step(bad)
    obs, _, _, _, infos = envs.step(np.array([0, 0]))
    twin_obs, _, _, _, twin_infos = twin.step(np.array([0, 0]))
    assert infos["episode_frame_number"].tolist() == [4, 4]  # was [8, 4]: sub-env 0 had moved
    assert np.array_equal(obs, twin_obs)
    assert infos["true_score"].tolist() == twin_infos["true_score"].tolist()


def test_numpy_integer_actions_of_any_width_are_accepted() -> None:
    envs = ScoreGamesVectorEnv("Catch", num_envs=2)
    envs.reset(seed=0)
    for dtype in (np.int8, np.uint8, np.int32, np.int64, np.uint64):
        envs.step(np.array([1, 2], dtype))
    envs.step([np.int64(1), 2])


def test_seeds_are_seed_plus_index_and_huds_are_per_env() -> None:
    envs = ScoreGamesVectorEnv("Breakout", num_envs=3, hud=["standard", "hidden", "moved"])
    obs, infos = envs.reset(seed=7)
    for i, hud in enumerate(["standard", "hidden", "moved"]):
        single_obs, single_info = gym.make("ScoreGames/Breakout-v0", hud=hud).reset(seed=7 + i)
        assert np.array_equal(obs[i], single_obs)
        assert np.array_equal(infos["hud_bbox"][i], single_info["hud_bbox"])
    assert infos["hud_visible"].tolist() == [True, False, True]
    # Negative control: another seed gives another batch.
    other, _ = ScoreGamesVectorEnv("Catch", num_envs=3).reset(seed=8)
    same, _ = ScoreGamesVectorEnv("Catch", num_envs=3).reset(seed=7)
    assert not np.array_equal(other, same)


def test_observations_are_not_overwritten_unless_copy_is_off() -> None:
    envs = ScoreGamesVectorEnv("Catch", num_envs=2)
    first, _ = envs.reset(seed=0)
    kept = first.copy()
    second = envs.step([1, 2])[0]
    assert second is not first and np.array_equal(first, kept)
    shared = ScoreGamesVectorEnv("Catch", num_envs=2, copy=False)
    a, _ = shared.reset(seed=0)
    b = shared.step([1, 2])[0]
    assert a is b  # documented: one reused buffer
    stacked = ScoreGamesVectorEnv("Catch", num_envs=2, preprocess=True)
    c, _ = stacked.reset(seed=0)
    kept = c.copy()
    stacked.step([1, 1])
    assert np.array_equal(c, kept)


def test_disabled_mode_refuses_to_step_an_ended_env() -> None:
    envs = ScoreGamesVectorEnv("Catch", num_envs=2, autoreset_mode="Disabled", max_num_frames_per_episode=8)
    envs.reset(seed=0)
    envs.step([0, 0])
    _, _, _, truncated, _ = envs.step([0, 0])
    assert truncated.all()
    with pytest.raises(RuntimeError, match="reset_mask"):
        envs.step([0, 0])
    envs.reset(options={"reset_mask": np.array([True, True])})
    envs.step([0, 0])


def test_render_call_and_attributes() -> None:
    envs = ScoreGamesVectorEnv("Pong", num_envs=2, render_mode="rgb_array", hud=["standard", "moved"])
    obs, _ = envs.reset(seed=1)
    frames = envs.render()
    assert isinstance(frames, tuple) and len(frames) == 2
    assert all(np.array_equal(frame, o) for frame, o in zip(frames, obs))
    assert envs.call("get_action_meanings")[0][0] == "NOOP"
    assert [c.position for c in envs.get_attr("hud_config")] == ["top-left", "bottom-right"]
    envs.set_attr("reward_source", "displayed")
    assert envs.get_attr("reward_source") == ("displayed", "displayed")
    envs.close()


def test_max_episode_steps_truncates_like_time_limit() -> None:
    envs = ScoreGamesVectorEnv("Catch", num_envs=2, max_episode_steps=3)
    reference = SyncVectorEnv(
        [lambda: gym.make("ScoreGames/Catch-v1", max_episode_steps=3) for _ in range(2)],
    )
    run_side_by_side(envs, reference, steps=10, seed=0, action_n=3)


def test_batch_infos_matches_gymnasium_add_info() -> None:
    infos = [
        {"a": 1, "b": np.array([1, 2]), "c": 0.5, "d": np.float32(2.0), "e": "x", "f": {"g": True}},
        None,
        {"a": 2, "b": np.array([3, 4]), "c": 1.5, "d": np.float32(1.0), "e": "y", "h": np.bool_(True)},
    ]
    reference = SyncVectorEnv([lambda: gym.make("ScoreGames/Catch-v1")] * 3)
    expected: dict[str, Any] = {}
    for i, info in enumerate(infos):
        if info is not None:
            expected = reference._add_info(expected, info, i)
    assert_same(batch_infos(infos, 3), expected, "infos")


def test_recycled_batches_are_only_those_the_caller_dropped() -> None:
    envs = ScoreGamesVectorEnv("Catch", num_envs=2)
    envs.reset(seed=0)
    kept = []
    for step in range(6):
        obs = envs.step([1, 2])[0]
        if step % 2 == 0:
            kept.append((obs[0], obs[0].copy()))  # a view keeps its batch alive
    assert all(np.array_equal(view, snapshot) for view, snapshot in kept)
    # Dropped batches are reused: a long run holds only a few arrays.
    ids = {id(envs.step([0, 0])[0]) for _ in range(20)}
    assert len(ids) <= OutputPool.KEEP


def test_batch_infos_with_same_size_but_different_keys() -> None:
    infos: list[dict[str, Any] | None] = [{"a": 1, "b": 2}, {"a": 3, "c": 4.0}]
    reference = SyncVectorEnv([lambda: gym.make("ScoreGames/Catch-v1")] * 2)
    expected: dict[str, Any] = {}
    for i, info in enumerate(infos):
        expected = reference._add_info(expected, info, i)  # type: ignore[arg-type]
    assert_same(batch_infos(infos, 2), expected, "infos")
