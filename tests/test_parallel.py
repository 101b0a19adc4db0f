"""ParallelVectorEnv (the native vector env in worker processes) gives exactly what the
in-process env gives, fails with the workers' own errors, and leaves nothing behind."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from scoregames.parallel import ParallelVectorEnv, merge_infos
from scoregames.registration import env_id
from scoregames.vector import ScoreGamesVectorEnv
from tests.test_vector import MODES, SHORT, mixed_huds, run_side_by_side


@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
def test_matches_the_in_process_env_with_uneven_shards(mode: AutoresetMode) -> None:
    """Breakout (lives, truncations) preprocessed, 4 sub-envs in shards of 1, 2 and 1."""
    huds = mixed_huds(4, offset=2)
    kwargs = {"hud": huds, "autoreset_mode": mode, "preprocess": True, **SHORT}
    parallel = gym.make_vec(env_id("Breakout"), num_envs=4, workers=3, **kwargs)
    reference = gym.make_vec(env_id("Breakout"), num_envs=4, **kwargs)
    assert isinstance(parallel, ParallelVectorEnv) and isinstance(reference, ScoreGamesVectorEnv)
    assert parallel._sizes == [1, 2, 1]
    try:
        seen = run_side_by_side(parallel, reference, steps=40, seed=7, action_n=4)
    finally:
        parallel.close()
    assert seen["ended"] >= 4 and seen["partial_resets"] >= 1


def test_matches_with_raw_frames_terminations_and_displayed_reward() -> None:
    kwargs = {"hud": ["offset", "tamper", "decoupled"], "drops": 1, "reward_source": "displayed"}
    parallel = ParallelVectorEnv("Catch", num_envs=3, workers=2, autoreset_mode="SameStep", **kwargs)
    reference = ScoreGamesVectorEnv("Catch", num_envs=3, autoreset_mode="SameStep", **kwargs)
    try:
        assert parallel.max_episode_steps is None is reference.max_episode_steps
        seen = run_side_by_side(parallel, reference, steps=70, seed=3, action_n=3)
        assert parallel.get_attr("reward_source") == ("displayed",) * 3
        parallel.set_attr("probe_value", [1, 2, 3])
        assert parallel.get_attr("probe_value") == (1, 2, 3)
    finally:
        parallel.close()
    assert seen["ended"] >= 3


def test_step_async_then_step_wait_is_a_step_and_copy_false_shares_the_batch() -> None:
    parallel = ParallelVectorEnv("Pong", num_envs=2, workers=2, copy=False, preprocess=True)
    reference = ScoreGamesVectorEnv("Pong", num_envs=2, preprocess=True)
    try:
        first, _ = parallel.reset(seed=4)
        reference.reset(seed=4)
        for action in (1, 2, 0):
            parallel.step_async(np.array([action, 2 - action]))
            obs, rewards, *_ = parallel.step_wait()
            want = reference.step(np.array([action, 2 - action]))
            np.testing.assert_array_equal(obs, want[0])
            np.testing.assert_array_equal(rewards, want[1])
        assert obs is first  # copy=False: the one shared batch, overwritten by each step
        with pytest.raises(RuntimeError, match="without step_async"):
            parallel.step_wait()
        parallel.step_async(np.array([0, 0]))
        with pytest.raises(RuntimeError, match="twice without step_wait"):
            parallel.step_async(np.array([0, 0]))
    finally:
        parallel.close()


def test_bad_input_gets_the_single_env_message() -> None:
    with pytest.raises(ValueError, match="workers must be an int from 1 to num_envs"):
        ParallelVectorEnv("Catch", num_envs=2, workers=3)
    with pytest.raises(ValueError, match="render_mode is not supported"):
        ParallelVectorEnv("Catch", num_envs=2, workers=2, render_mode="rgb_array")
    with pytest.raises(ValueError, match="unknown HUD preset"):
        ParallelVectorEnv("Catch", num_envs=2, workers=2, hud="nonsense")
    with pytest.raises(ValueError, match="one spec per sub-env"):
        ParallelVectorEnv("Catch", num_envs=2, workers=2, hud=["standard"] * 3)
    parallel = ParallelVectorEnv("Catch", num_envs=2, workers=2)
    try:
        with pytest.raises(ValueError, match="a list of 2 seeds"):
            parallel.reset(seed=[1, 2, 3])
        parallel.reset(seed=0)
        with pytest.raises(ValueError, match="at least one sub-env"):
            parallel.reset(options={"reset_mask": np.zeros(2, np.bool_)})
        with pytest.raises(ValueError, match=r"invalid action 7 for Catch; valid: 0=NOOP"):
            parallel.step(np.array([0, 7]))
        parallel.step(np.array([0, 1]))  # a refused action moved no worker: the env goes on
    finally:
        parallel.close()


def test_the_parent_refuses_what_would_kill_a_worker_and_the_env_goes_on() -> None:
    """Refused in the parent as in-process, before any worker moves: a bad HUD for a later sub-env
    (only the first was checked: the workers died at the first reset), a step before reset (it killed
    the env, then "OSError: handle is closed"), a first reset with a mask (rows never reset came
    back as zeros); numpy integers are accepted; a closed env says so (was KeyError ('actions',))."""
    from gymnasium.error import ClosedEnvironmentError

    with pytest.raises(ValueError, match="unknown HUD preset 'sideways'"):
        ParallelVectorEnv("Catch", num_envs=2, workers=2, hud=["standard", "sideways"])
    with pytest.raises(ValueError, match="workers must be an int from 1 to num_envs"):
        ParallelVectorEnv("Catch", num_envs=2, workers=True)
    parallel = ParallelVectorEnv("Catch", num_envs=np.int64(4), workers=np.int64(2))
    try:
        with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
            parallel.step(np.zeros(4, np.int64))
        with pytest.raises(RuntimeError, match="the first reset"):
            parallel.reset(seed=0, options={"reset_mask": np.array([True, True, False, False])})
        reference = ScoreGamesVectorEnv("Catch", num_envs=4)
        np.testing.assert_array_equal(parallel.reset(seed=0)[0], reference.reset(seed=0)[0])
        np.testing.assert_array_equal(parallel.step(np.ones(4, np.int64))[0], reference.step(np.ones(4, np.int64))[0])
    finally:
        parallel.close()
    for use in (lambda: parallel.step(np.zeros(4, np.int64)), lambda: parallel.reset(seed=0)):
        with pytest.raises(ClosedEnvironmentError, match="ParallelVectorEnv is closed"):
            use()


def test_a_worker_error_is_raised_in_the_parent_and_closes_the_env() -> None:
    parallel = ParallelVectorEnv("Catch", num_envs=2, workers=2, autoreset_mode="Disabled", drops=1)
    parallel.reset(seed=0)
    with pytest.raises(RuntimeError, match="reset them with") as raised:  # the worker's own message
        for _ in range(1000):  # one drop ends the episode; DISABLED refuses to step it again
            parallel.step(np.array([0, 0]))
    assert "in a ParallelVectorEnv worker" in str(raised.value.__cause__)
    assert parallel.closed and not any(process.is_alive() for process in parallel._processes)


def test_close_stops_the_workers_and_frees_the_shared_batch_and_step_slots() -> None:
    from multiprocessing.shared_memory import SharedMemory

    parallel = gym.make_vec(env_id("Freeway"), num_envs=3, workers=3)
    names = [parallel._memory.name, parallel._channel.memory.name]
    parallel.reset(seed=1)
    parallel.step(np.zeros(3, np.int64))
    parallel.close()
    assert not any(process.is_alive() for process in parallel._processes)
    for name in names:
        with pytest.raises(FileNotFoundError):
            SharedMemory(name=name)


def test_a_forgotten_close_is_done_when_the_env_is_collected() -> None:
    import gc

    parallel = ParallelVectorEnv("Catch", num_envs=2, workers=2)
    processes = parallel._processes
    del parallel
    gc.collect()
    assert not any(process.is_alive() for process in processes)


def test_merge_infos_nests_and_blanks_like_gymnasium() -> None:
    final = {"score": np.array([5]), "_score": np.array([True])}
    left = {"lives": np.array([3]), "_lives": np.array([True])}
    right = {
        "lives": np.array([1, 2]),
        "_lives": np.array([True, True]),
        "final_obs": np.array([None, "frame"], dtype=object),
        "final_info": final,
    }
    merged = merge_infos([left, right], [1, 2])
    assert merged["lives"].tolist() == [3, 1, 2] and merged["_lives"].tolist() == [True] * 3
    assert merged["final_obs"].tolist() == [None, None, "frame"]
    assert merged["final_info"]["score"].tolist() == [0, 5] and merged["final_info"]["_score"].tolist() == [0, 1]
