"""``StepChannel``: a vector env step's rewards, flags and infos in shared memory, in fixed slots.

Env workers (:mod:`scoregames.parallel`) would otherwise pickle some twenty small info arrays
every step, and the learner would unpickle and join them shard by shard: on a slow host core
that glue costs more than the forward pass it should hide behind. A game's step infos keep the
same keys, dtypes and shapes from step to step, so the learner lays out one slot per key once
(from a probe step) and each worker writes its rows in place. Only what does not fit the layout
crosses the pipe (``final_obs``/``final_info`` when an episode ends, a value of another dtype);
the learner joins those as before, so the result equals what the in-process env gives.

    >>> infos = {"lives": np.array([3, 2]), "_lives": np.array([True, True])}
    >>> channel = StepChannel.for_step(infos, num_envs=2)
    >>> channel.put(0, 2, np.array([1.0, 0.0]), np.zeros(2, bool), np.zeros(2, bool), infos) is None
    True
    >>> rewards, _, _, merged = channel.take([None], [0, 2])
    >>> rewards.tolist(), merged["lives"].tolist()
    ([1.0, 0.0], [3, 2])
    >>> channel.close(unlink=True)
"""

from __future__ import annotations

from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

# What each step returns beside observations and infos, with the in-process env's dtypes, and the
# actions that start it. Their slots are keyed by tuples, so no info key (a string) can take their place.
RESULT_FIELDS = {
    ("result", "rewards"): np.dtype(np.float64),
    ("result", "terminations"): np.dtype(np.bool_),
    ("result", "truncations"): np.dtype(np.bool_),
}
REWARDS, TERMINATIONS, TRUNCATIONS = RESULT_FIELDS
ACTIONS = ("actions",)
ALIGN = 8


class StepChannel:
    """Slots for ``num_envs`` sub-envs' rewards, terminations, truncations and fixed-layout infos.

    The learner makes it (:meth:`for_step`), a worker attaches by :attr:`spec` and writes its rows
    (:meth:`put`); the learner copies everything out (:meth:`take`). The learner's actions go the
    other way (:meth:`post_actions`, :meth:`actions`).
    """

    def __init__(self, info_layout: dict[str, tuple[str, tuple[int, ...]]], num_envs: int, name: str | None = None):
        self.num_envs = num_envs
        self.info_layout = info_layout
        self.info_keys = tuple(info_layout)
        layout: dict[Any, tuple[str, tuple[int, ...]]] = {key: (dtype.str, ()) for key, dtype in RESULT_FIELDS.items()}
        layout[ACTIONS] = (np.dtype(np.int64).str, ())
        layout.update(info_layout)
        views: list[tuple[Any, tuple[int, ...], np.dtype, int]] = []
        size = 0
        for key, (dtype_str, trailing) in layout.items():
            dtype, shape = np.dtype(dtype_str), (num_envs, *trailing)
            views.append((key, shape, dtype, size))
            size += -(-int(np.prod(shape)) * dtype.itemsize // ALIGN) * ALIGN
        self.memory = SharedMemory(create=name is None, name=name, size=max(size, ALIGN))
        self._slots = {
            key: np.ndarray(shape, dtype, buffer=self.memory.buf, offset=offset) for key, shape, dtype, offset in views
        }

    @classmethod
    def for_step(cls, infos: dict[str, Any], num_envs: int) -> StepChannel:
        """Slots for every key of a (probe) step's batched infos that shared memory can hold."""
        layout = {
            key: (value.dtype.str, value.shape[1:])
            for key, value in infos.items()
            if isinstance(value, np.ndarray) and value.dtype != object and value.ndim >= 1
        }
        return cls(layout, num_envs)

    @property
    def spec(self) -> tuple[dict[str, tuple[str, tuple[int, ...]]], int, str]:
        """What a worker passes to ``StepChannel(*spec)`` to attach."""
        return self.info_layout, self.num_envs, self.memory.name

    def post_actions(self, actions: np.ndarray) -> None:
        """The learner: this step's (already checked) actions, for the workers to read."""
        self._slots[ACTIONS][:] = actions

    def actions(self, low: int, high: int) -> np.ndarray:
        """A worker: its sub-envs' actions for this step."""
        return self._slots[ACTIONS][low:high].copy()

    def put(
        self, low: int, high: int, rewards: Any, terminations: Any, truncations: Any, infos: dict[str, Any]
    ) -> tuple[tuple[str, ...] | None, dict[str, Any]] | None:
        """Write sub-envs ``low:high``'s results; returns the message the learner needs to read them.

        ``None`` for the usual step (every slot written, nothing else); otherwise the keys written
        to slots (``None``: all of them) and the infos that did not fit, which cross the pipe.
        """
        slots = self._slots
        slots[REWARDS][low:high] = rewards
        slots[TERMINATIONS][low:high] = terminations
        slots[TRUNCATIONS][low:high] = truncations
        written: list[str] = []
        extras: dict[str, Any] = {}
        for key, value in infos.items():
            slot = slots.get(key)
            if (
                slot is not None
                and type(value) is np.ndarray
                and value.dtype == slot.dtype
                and value.shape == (high - low, *slot.shape[1:])
            ):
                slot[low:high] = value
                written.append(key)
            else:
                extras[key] = value
        complete = tuple(written) == self.info_keys
        if complete and not extras:
            return None
        return (None if complete else tuple(written)), extras

    def take(self, messages: list[Any], bounds: list[int]) -> tuple[Any, Any, Any, dict[str, Any]]:
        """(rewards, terminations, truncations, infos) from every shard's :meth:`put` message.

        Copies the slots (the next step overwrites them); shard ``k`` holds rows
        ``bounds[k]:bounds[k + 1]``.
        """
        slots = self._slots
        results = tuple(slots[key].copy() for key in RESULT_FIELDS)
        arrays = {key: slots[key].copy() for key in self.info_keys}
        if all(message is None for message in messages):  # the usual step: nothing to join
            return (*results, arrays)  # type: ignore[return-value]
        sizes = [high - low for low, high in zip(bounds, bounds[1:])]
        if all(message is None or message[0] is None for message in messages):
            extras = merge_infos([message[1] if message else {} for message in messages], sizes)
            return (*results, {**arrays, **extras})  # type: ignore[return-value]
        parts = []
        for message, low, high in zip(messages, bounds, bounds[1:]):
            keys, extras = (None, {}) if message is None else message
            part = {key: arrays[key][low:high] for key in (self.info_keys if keys is None else keys)}
            parts.append({**part, **extras})
        return (*results, merge_infos(parts, sizes))  # type: ignore[return-value]

    def close(self, unlink: bool = False) -> None:
        self._slots.clear()
        self.memory.close()
        if unlink:
            self.memory.unlink()


def merge_infos(parts: list[dict[str, Any]], sizes: list[int]) -> dict[str, Any]:
    """Join shards' batched infos along the sub-env axis; a shard without a key gets blanks.

    >>> a = {"lives": np.array([3]), "_lives": np.array([True])}
    >>> merged = merge_infos([a, {}], [1, 2])
    >>> merged["lives"].tolist(), merged["_lives"].tolist()
    ([3, 0, 0], [True, False, False])
    """
    merged: dict[str, Any] = {}
    for key in dict.fromkeys(key for part in parts for key in part):
        values = [part.get(key) for part in parts]
        first = next(value for value in values if value is not None)
        if isinstance(first, dict):
            merged[key] = merge_infos([value if value is not None else {} for value in values], sizes)
            continue
        columns = [value if value is not None else _blank(first, size) for value, size in zip(values, sizes)]
        merged[key] = np.concatenate(columns)
    return merged


def _blank(like: np.ndarray, size: int) -> np.ndarray:
    """What Gymnasium puts for sub-envs without a key: None in object arrays, else zeros."""
    if like.dtype == object:
        return np.full(size, None, dtype=object)
    return np.zeros((size, *like.shape[1:]), like.dtype)
