"""StepChannel (the env workers' shared slots for rewards, flags and infos): the usual step of
every game fits the slots, and whatever does not fit still comes out as merge_infos joins it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from scoregames.step_channel import StepChannel, merge_infos
from scoregames.vector import ScoreGamesVectorEnv
from tests.helpers import GAME_NAMES
from tests.test_vector import assert_same


def shard_infos(lives: list[int], score_dtype: type = np.int64) -> dict:
    n = len(lives)
    return {
        "lives": np.array(lives, np.int64),
        "_lives": np.ones(n, bool),
        "score": np.arange(n, dtype=score_dtype),
        "bbox": np.arange(4 * n, dtype=np.int64).reshape(n, 4),
        "rewards": np.full(n, 7.5),  # an info key named like a result must not take its slot
    }


@pytest.fixture
def channel() -> Iterator[StepChannel]:
    made = StepChannel.for_step(shard_infos([3, 3, 3]), num_envs=3)
    yield made
    made.close(unlink=True)


def put_shards(channel: StepChannel, parts: list[dict], bounds: list[int], rewards: np.ndarray) -> list:
    flags = rewards > 1
    return [
        channel.put(low, high, rewards[low:high], flags[low:high], ~flags[low:high], part)
        for part, low, high in zip(parts, bounds, bounds[1:])
    ]


@pytest.mark.parametrize("game", GAME_NAMES)
def test_a_usual_step_of_every_game_fits_the_slots(game: str) -> None:
    """Nothing but the go-ahead crosses the pipe on a step where no episode ends."""
    envs = ScoreGamesVectorEnv(game, num_envs=2, autoreset_mode="SameStep")
    envs.reset(seed=0)
    _, rewards, terminations, truncations, infos = envs.step(np.zeros(2, np.int64))
    channel = StepChannel.for_step(infos, num_envs=2)
    try:
        assert set(channel.info_keys) == set(infos)
        for _ in range(20):
            observed = envs.step(np.ones(2, np.int64))
            assert not (observed[2] | observed[3]).any()
            assert channel.put(0, 2, *observed[1:]) is None
            assert_same(channel.take([None], [0, 2]), observed[1:], game)
    finally:
        channel.close(unlink=True)
        envs.close()


def test_what_does_not_fit_is_joined_as_merge_infos_joins_the_shards(channel: StepChannel) -> None:
    bounds, sizes = [0, 1, 3], [1, 2]
    usual = shard_infos([2])
    odd = shard_infos([1, 0], score_dtype=np.float32)  # another dtype: through the pipe
    del odd["bbox"]  # a key missing from one shard: blanks there
    odd["final_obs"] = np.array([None, "frame"], dtype=object)
    rewards = np.array([0.0, 1.0, 2.0])
    messages = put_shards(channel, [usual, odd], bounds, rewards)
    assert messages[0] is None
    assert messages[1] is not None and set(messages[1][1]) == {"score", "final_obs"}
    got = channel.take(messages, bounds)
    assert_same(got, (rewards, rewards > 1, rewards <= 1, merge_infos([usual, odd], sizes)), "joined")
    assert got[3]["score"].dtype == np.float64  # int64 and float32 shards promote, as concatenate does


def test_episode_ends_keep_the_slots_and_add_the_final_keys(channel: StepChannel) -> None:
    bounds, sizes = [0, 2, 3], [2, 1]
    ended = {**shard_infos([3]), "final_info": {"score": np.array([9]), "_score": np.array([True])}}
    parts = [shard_infos([3, 2]), ended]
    messages = put_shards(channel, parts, bounds, np.zeros(3))
    assert messages[0] is None and messages[1][0] is None  # every slot written; extras beside them
    got = channel.take(messages, bounds)
    assert_same(got[3], merge_infos(parts, sizes), "ended")
    assert got[3]["final_info"]["score"].tolist() == [0, 0, 9]


def test_taken_results_are_the_callers_and_actions_go_the_other_way(channel: StepChannel) -> None:
    rewards = np.array([1.0, 2.0, 3.0])
    messages = put_shards(channel, [shard_infos([3, 2, 1])], [0, 3], rewards)
    first = channel.take(messages, [0, 3])
    put_shards(channel, [shard_infos([0, 0, 0])], [0, 3], np.zeros(3))
    assert first[0].tolist() == [1.0, 2.0, 3.0] and first[3]["lives"].tolist() == [3, 2, 1]
    channel.post_actions(np.array([2, 0, 1], np.int8))
    assert channel.actions(1, 3).tolist() == [0, 1]
