"""``ParallelVectorEnv``: the native vector env split across worker processes.

On a machine with spare cores (a GPU box, say) the games and their preprocessing can run beside
the learner instead of in its process. Each worker hosts a :class:`ScoreGamesVectorEnv` over a
contiguous shard of the sub-envs and writes its observations straight into one shared batch,
and its rewards, flags and infos into fixed slots (:class:`~scoregames.step_channel.StepChannel`);
the pipes carry the actions, a go/done signal and what does not fit the slots (an episode's
``final_obs`` and ``final_info``). Sub-env ``i`` is seeded
``seed + i`` exactly as in the in-process env, so both give the same observations, rewards and
infos for the same seeds and actions (tests/test_parallel.py checks it).

    >>> import gymnasium as gym, scoregames
    >>> envs = gym.make_vec("ScoreGames/Catch-v1", num_envs=4, workers=2, preprocess=True)
    >>> obs, infos = envs.reset(seed=0)
    >>> obs.shape, infos["true_score"].shape
    ((4, 4, 84, 84), (4,))
    >>> envs.close()
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import pickle
import signal
import traceback
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from numbers import Integral
from typing import Any

import numpy as np
from gymnasium.error import ClosedEnvironmentError
from gymnasium.vector import VectorEnv
from gymnasium.vector.utils import batch_space

from scoregames.step_channel import StepChannel, merge_infos
from scoregames.vector import (
    ScoreGamesVectorEnv,
    _check_reset_mask,
    _checked_actions,
    _count,
    _per_env_huds,
    _per_env_seeds,
)

__all__ = ["ParallelVectorEnv", "make_vector_env", "merge_infos"]

STEP_COMMAND = pickle.dumps(("step", None))  # sent as bytes: the actions are in the step slots


class ParallelVectorEnv(VectorEnv):
    """``num_envs`` copies of one game stepped by ``workers`` processes (shards as even as possible).

    Takes every argument of :class:`~scoregames.vector.ScoreGamesVectorEnv` (a list of N HUD
    specs is split with the sub-envs). ``copy=False`` returns the shared batch itself, which the
    workers overwrite from the next ``step``/``step_async``/``reset`` on; ``copy=True`` (default)
    returns a copy the caller owns. ``step_async``/``step_wait`` split a step as in Gymnasium's
    ``AsyncVectorEnv``, so the caller can work (run a network, say) while the games step.
    """

    def __init__(self, game: str, num_envs: int = 1, workers: int = 2, copy: bool = True, **kwargs: Any):
        num_envs = _count("num_envs", num_envs)
        given: Any = workers  # a numpy integer is as good as an int
        if isinstance(given, bool) or not isinstance(given, Integral) or not 1 <= int(given) <= num_envs:
            raise ValueError(f"workers must be an int from 1 to num_envs ({num_envs}), got {workers!r}")
        workers = int(given)
        if kwargs.get("render_mode") is not None:
            raise ValueError("render_mode is not supported with workers; use the in-process vector env")
        # Building every sub-env here checks every argument (each sub-env's HUD, too) before any
        # process starts.
        probe = ScoreGamesVectorEnv(game, num_envs=num_envs, **_shard_kwargs(kwargs, 0, num_envs, num_envs))
        self.num_envs = num_envs
        self.copy = bool(copy)
        self.render_mode = None
        self.max_episode_steps = probe.max_episode_steps
        self.metadata = dict(probe.metadata)
        self.single_observation_space = probe.single_observation_space
        self.single_action_space = probe.single_action_space
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        # Bad actions are refused here, with the single env's message, before any worker moves.
        self._check_action = probe.envs[0]._check_action
        self._num_actions = probe.envs[0]._num_actions
        # One probe step gives the infos' keys, dtypes and shapes: the layout of the step slots.
        probe.reset(seed=0)
        probe_infos = probe.step(np.zeros(num_envs, np.int64))[4]
        probe.close()

        shape = (num_envs, *(probe.single_observation_space.shape or ()))
        self._memory = SharedMemory(create=True, size=int(np.prod(shape)))
        self._batch = np.ndarray(shape, np.uint8, buffer=self._memory.buf)
        self._channel = StepChannel.for_step(probe_infos, num_envs)
        self._pipes: list[Connection] = []
        self._processes: list[Any] = []
        self._closed_workers = False  # from here on, close() has something to free
        self._stepping = False
        self._started = False  # as the in-process env: the first reset resets every sub-env
        self._bounds = np.linspace(0, num_envs, workers + 1).round().astype(int).tolist()
        self._sizes = [high - low for low, high in zip(self._bounds, self._bounds[1:])]
        # fork would copy a CUDA context or threads of the parent; forkserver starts clean.
        context = mp.get_context("forkserver")
        for low, high in zip(self._bounds, self._bounds[1:]):
            parent, child = context.Pipe()
            shard = _shard_kwargs(kwargs, low, high, num_envs)
            process = context.Process(
                target=_serve,
                args=(child, game, low, high, self._memory.name, shape, self._channel.spec, shard),
                daemon=True,
            )
            process.start()
            child.close()
            self._pipes.append(parent)
            self._processes.append(process)

    def reset(self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None):
        self._check_open()
        options = dict(options) if options else {}
        mask = options.pop("reset_mask", None)
        if mask is not None:
            mask = _check_reset_mask(mask, self.num_envs)
            if not self._started and not mask.all():
                raise RuntimeError("the first reset() must reset every sub-env (no reset_mask)")
        seeds = _per_env_seeds(seed, self.num_envs)  # as the in-process env derives them; sliced per shard
        for pipe, low, high in zip(self._pipes, self._bounds, self._bounds[1:]):
            shard_options = dict(options)
            if mask is not None:
                shard_mask = mask[low:high]
                if not shard_mask.any():
                    continue
                shard_options["reset_mask"] = shard_mask
            pipe.send(("reset", (seeds[low:high], shard_options or None)))
        infos = self._gather(expected=mask)
        self._started = True
        return self._observations(), infos

    def step(self, actions: Any):
        self.step_async(actions)
        return self.step_wait()

    def step_async(self, actions: Any) -> None:
        """Send the actions and return at once; the workers step while the caller works on.

        As Gymnasium's ``AsyncVectorEnv``: :meth:`step_wait` then gives what :meth:`step` gives.
        """
        self._check_open()
        if self._stepping:
            raise RuntimeError("step_async() called twice without step_wait()")
        if not self._started:
            raise RuntimeError("call reset() before step()")
        actions, _ = _checked_actions(actions, self.num_envs, self._num_actions, self._check_action)
        self._channel.post_actions(actions)  # valid actions are integers: int64 holds them exactly
        for pipe in self._pipes:
            pipe.send_bytes(STEP_COMMAND)
        self._stepping = True

    def step_wait(self):
        """The results of the last :meth:`step_async`: (observations, rewards, terminations, truncations, infos)."""
        if not self._stepping:
            raise RuntimeError("step_wait() called without step_async()")
        self._stepping = False
        messages = [self._receive(pipe) for pipe in self._pipes]
        rewards, terminations, truncations, infos = self._channel.take(messages, self._bounds)
        return self._observations(), rewards, terminations, truncations, infos

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        self._check_open()
        for pipe in self._pipes:
            pipe.send(("call", (name, args, kwargs)))
        return tuple(value for pipe in self._pipes for value in self._receive(pipe))

    def get_attr(self, name: str) -> tuple[Any, ...]:
        self._check_open()
        for pipe in self._pipes:
            pipe.send(("get_attr", name))
        return tuple(value for pipe in self._pipes for value in self._receive(pipe))

    def set_attr(self, name: str, values: Any) -> None:
        """Set attribute ``name`` on every sub-env: one value each (a list of N) or the same for all."""
        self._check_open()
        if not isinstance(values, list | tuple):
            values = [values] * self.num_envs
        if len(values) != self.num_envs:
            raise ValueError(f"values must have length {self.num_envs}, got {len(values)}")
        for pipe, low, high in zip(self._pipes, self._bounds, self._bounds[1:]):
            pipe.send(("set_attr", (name, list(values[low:high]))))
        for pipe in self._pipes:
            self._receive(pipe)

    def __del__(self) -> None:  # a forgotten close() must not leave processes or shared memory behind
        if not getattr(self, "_closed_workers", True):
            self.close()

    def close_extras(self, **kwargs: Any) -> None:
        if self._closed_workers:
            return
        self._closed_workers = True
        for pipe in self._pipes:
            with contextlib.suppress(BrokenPipeError, OSError):  # a worker that died already
                pipe.send(("close", None))
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
        for pipe in self._pipes:
            pipe.close()
        del self._batch
        self._memory.close()
        self._memory.unlink()
        self._channel.close(unlink=True)

    # ------------------------------------------------------------------ helpers
    def _check_open(self) -> None:
        """After close() (or a worker's error, which closes the env) the workers are gone: say so."""
        if self.closed:
            raise ClosedEnvironmentError(
                "this ParallelVectorEnv is closed (close() or a worker's error); make a new one"
            )

    def _observations(self) -> np.ndarray:
        return self._batch.copy() if self.copy else self._batch

    def _gather(self, expected: np.ndarray | None) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        for pipe, low, high in zip(self._pipes, self._bounds, self._bounds[1:]):
            if expected is not None and not expected[low:high].any():
                parts.append({})
            else:
                parts.append(self._receive(pipe))
        return merge_infos(parts, self._sizes)

    def _receive(self, pipe: Connection) -> Any:
        try:
            status, payload = pipe.recv()
        except (EOFError, ConnectionError):
            self.close()
            raise RuntimeError(
                "a ParallelVectorEnv worker died; a script that makes one must start under "
                "`if __name__ == '__main__':` (workers are started with multiprocessing's forkserver)"
            ) from None
        if status == "error":  # the worker's own exception, its traceback as the cause
            error, trace = payload
            self.close()
            raise error from RuntimeError(f"in a ParallelVectorEnv worker:\n{trace}")
        return payload


def _shard_kwargs(kwargs: dict[str, Any], low: int, high: int, num_envs: int) -> dict[str, Any]:
    """The vector env's arguments for sub-envs ``low:high`` (a per-env HUD list is sliced)."""
    huds = _per_env_huds(kwargs.get("hud", "standard"), num_envs)  # the in-process env's check
    return {**kwargs, "hud": huds[low:high]}


def _serve(
    pipe: Connection, game: str, low: int, high: int, memory_name: str, shape: tuple, channel_spec: tuple, kwargs: dict
) -> None:
    """A worker: steps sub-envs ``low:high``; observations go into the shared batch, the rest into the slots."""
    # Ctrl-C reaches the whole process group; the parent decides (a learner checkpoints first,
    # then closes us), so a worker must not die under it mid-step.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    memory = SharedMemory(name=memory_name)
    batch = np.ndarray(shape, np.uint8, buffer=memory.buf)
    channel = StepChannel(*channel_spec)
    envs = None
    try:
        envs = ScoreGamesVectorEnv(game, num_envs=high - low, copy=False, **kwargs)
        while True:
            command, data = pipe.recv()
            if command == "step":
                observations, rewards, terminations, truncations, infos = envs.step(channel.actions(low, high))
                batch[low:high] = observations
                pipe.send(("ok", channel.put(low, high, rewards, terminations, truncations, infos)))
            elif command == "reset":
                seed, options = data
                observations, infos = envs.reset(seed=seed, options=options)
                batch[low:high] = observations
                pipe.send(("ok", infos))
            elif command == "call":
                name, args, call_kwargs = data
                pipe.send(("ok", envs.call(name, *args, **call_kwargs)))
            elif command == "get_attr":
                pipe.send(("ok", envs.get_attr(data)))
            elif command == "set_attr":
                envs.set_attr(*data)
                pipe.send(("ok", None))
            elif command == "close":
                break
    except EOFError:  # the parent is gone
        pass
    except Exception as error:  # the parent re-raises it, with this traceback as its cause
        trace = traceback.format_exc()
        try:
            pipe.send(("error", (error, trace)))
        except Exception:  # an exception that cannot be pickled
            pipe.send(("error", (RuntimeError(repr(error)), trace)))
    finally:
        if envs is not None:
            envs.close()
        del batch
        memory.close()
        channel.close()
        pipe.close()


def make_vector_env(game: str, num_envs: int = 1, workers: int = 0, **kwargs: Any) -> VectorEnv:
    """What ``gym.make_vec("ScoreGames/<Game>-vN", num_envs, ...)`` builds (the ids' vector entry point).

    ``workers=0`` (default): the in-process :class:`~scoregames.vector.ScoreGamesVectorEnv`;
    ``workers=K``: a :class:`ParallelVectorEnv` of K worker processes.
    """
    if workers:
        return ParallelVectorEnv(game, num_envs=num_envs, workers=workers, **kwargs)
    return ScoreGamesVectorEnv(game, num_envs=num_envs, **kwargs)
