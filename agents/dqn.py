# CleanRL-style DQN (dqn_atari.py) for scoregames and any Gymnasium pixel env, Gymnasium 1.x.
# Docs: README "## Agents". Single file on purpose: read it top to bottom.
"""DQN from pixels on ``ScoreGames/<Game>-vN`` (or e.g. ``ALE/Breakout-v5`` with the same network).

Usage::

    python agents/dqn.py --env-id ScoreGames/Catch-v1
    python agents/dqn.py --resume runs/<run_name>        # continue a killed or stopped run

The replay buffer stores each 84x84 frame once (not 8 copies inside obs/next_obs stacks): 1M
transitions take ~7.1 GB. A resumed run restores network, target, optimizer, counters and RNG but
not the buffer (too large to checkpoint every N updates): it refills for `learning_starts` steps.
Ctrl-C (or SIGTERM) writes the checkpoint and exits with 130 (143): not 0, so ``train && diagnose``
does not go on with an unfinished run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
import torch.optim as optim
import tyro
from torch.utils.tensorboard import SummaryWriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import scoregames  # noqa: E402,F401  (registers ScoreGames/* ids)

try:  # ALE ids (ALE/Breakout-v5) for side-by-side runs, when ale-py is installed
    import ale_py

    gym.register_envs(ale_py)
except ImportError:
    pass
from scoregames.policies import (  # noqa: E402
    CHECKPOINT_NAME,
    agent_vector_env,
    build_network,
    check_env_matches_checkpoint,
    check_run_args,
    command_line_fields,
    evaluation_env,
    life_lost,
    load_network,
    load_policy,
    make_env,
    new_run_dir,
    open_run_dir,
    parse_env_kwargs,
    play_evaluation,
    purge_step,
    require_at_least,
    restore_run,
    rng_state,
    save_checkpoint,
    set_rng_state,
    video_folder,
)
from scoregames.registration import is_scoregames_id  # noqa: E402

__all__ = ["Args", "FrameReplayBuffer", "load_policy"]


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment"""
    seed: int = 1
    """seed of the experiment"""
    torch_deterministic: bool = True
    """if toggled, `torch.backends.cudnn.deterministic=True`"""
    cuda: bool = True
    """if toggled, cuda will be enabled by default (ignored when no GPU is present)"""
    torch_threads: int = 0
    """CPU threads for torch (0: min(2, cores) -- more only adds contention on small machines)"""
    capture_video: bool = False
    """whether to capture videos of the agent performances (into RUN_DIR/videos; a resumed run into a new
    subfolder of it)"""
    eval_episodes: int = 0
    """episodes to play at the end with the saved policy (via `load_policy`), logged as eval/*"""
    run_dir: str | None = None
    """explicit run directory (default: runs/{run_name}); never overwritten"""
    resume: str | None = None
    """continue the run in this directory from its checkpoint (a run stopped before its first checkpoint
    restarts from step 0). Its args.json wins, except --total-timesteps, --checkpoint-every and
    --eval-episodes, taken from this command line when given there, and this machine's --cuda and
    --torch-threads"""
    checkpoint_every: int = 2500
    """write checkpoint.pt every this many updates (gradient steps) and always at the end"""
    stop_after_updates: int = 0
    """debug: checkpoint and exit (without summary) after this many updates in this process; 0: off"""

    # Algorithm specific arguments
    env_id: str = "ScoreGames/Catch-v1"
    """the id of the environment (ScoreGames/<Game>-vN, or any pixel env such as ALE/Breakout-v5)"""
    hud: str = "standard"
    """HUD preset of a ScoreGames env (standard, hidden, moved, tamper, ...)"""
    reward_source: str = "true"
    """what the agent is trained on: `true` (game reward) or `displayed` (change of the on-screen score)"""
    env_kwargs: str = "{}"
    """JSON object of extra env arguments, e.g. game knobs: '{"spawn": "left"}' or '{"decoy_prob": 0}'"""
    total_timesteps: int = 10_000_000
    """total timesteps of the experiments"""
    learning_rate: float = 1e-4
    """the learning rate of the optimizer"""
    num_envs: int = 1
    """the number of parallel game environments"""
    buffer_size: int = 1_000_000
    """the replay memory buffer size (transitions)"""
    gamma: float = 0.99
    """the discount factor gamma"""
    tau: float = 1.0
    """the target network update rate"""
    target_network_frequency: int = 1000
    """the timesteps it takes to update the target network"""
    batch_size: int = 32
    """the batch size of sample from the reply memory"""
    start_e: float = 1
    """the starting epsilon for exploration"""
    end_e: float = 0.01
    """the ending epsilon for exploration"""
    exploration_fraction: float = 0.10
    """the fraction of `total-timesteps` it takes from start-e to go end-e"""
    learning_starts: int = 80000
    """timestep to start learning"""
    train_frequency: int = 4
    """the frequency of training"""
    clip_rewards: bool = True
    """train on sign(reward), as CleanRL's ClipRewardEnv (logged returns stay unclipped)"""
    episodic_life: bool = True
    """a lost life ends the episode for learning (no bootstrapping past it), as CleanRL's
    EpisodicLifeEnv on ALE (ALE ids: that wrapper, left out with --no-episodic-life); ScoreGames envs
    play on, and the logged return is the whole game's"""


def make_vector_env(args: Args, videos: str) -> gym.vector.VectorEnv:
    """Our native vector env when registered (and no video), else a SyncVectorEnv of thunks.
    ``videos``: the folder ``--capture-video`` writes to."""
    spec = gym.spec(args.env_id)
    env_kwargs = parse_env_kwargs(args.env_kwargs)
    if is_scoregames_id(args.env_id) and spec.vector_entry_point is not None and not args.capture_video:
        return agent_vector_env(args.env_id, args.num_envs, args.hud, args.reward_source, **env_kwargs)
    thunks = [
        make_env(
            args.env_id, i, args.capture_video, videos, args.hud, args.reward_source, args.episodic_life, **env_kwargs
        )
        for i in range(args.num_envs)
    ]
    return gym.vector.SyncVectorEnv(thunks, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)


def check_args(args: Args) -> None:
    """Every option that would crash later or silently train nothing, refused before anything is
    built or written (with the checks shared with ppo.py)."""
    check_run_args(args)
    require_at_least(args, 1, "buffer_size", "batch_size", "train_frequency", "target_network_frequency")
    if int(args.exploration_fraction * args.total_timesteps) < 1:
        raise ValueError(
            f"--exploration-fraction must be > 0 and leave epsilon at least one step to fall from --start-e to "
            f"--end-e, got {args.exploration_fraction} of --total-timesteps {args.total_timesteps} (for a constant "
            "epsilon, set --start-e equal to --end-e)"
        )
    if args.total_timesteps <= args.learning_starts:
        raise ValueError(
            f"--total-timesteps {args.total_timesteps} must exceed --learning-starts {args.learning_starts}: "
            "no update would be made"
        )


class FrameReplayBuffer:
    """Replay memory holding each frame once, one circular track per env.

    A slot holds the newest frame of an observation, the action taken from it, the reward and
    whether it ended the episode. The stack of slot ``t`` is frames ``t-3..t``, padded with the
    episode's first frame (as ``FrameStackObservation`` pads); its next observation is slot ``t+1``.
    An episode end writes two slots: the final frame (no transition out of it) and the reset frame.
    """

    def __init__(self, capacity: int, num_envs: int, frame_shape=(84, 84), stack: int = 4):
        self.per_env = max(capacity // num_envs, stack + 2)
        self.num_envs, self.stack = num_envs, stack
        self.frames = np.zeros((num_envs, self.per_env, *frame_shape), np.uint8)
        self.actions = np.zeros((num_envs, self.per_env), np.int64)
        self.rewards = np.zeros((num_envs, self.per_env), np.float32)
        self.terminated = np.zeros((num_envs, self.per_env), np.bool_)
        self.valid = np.zeros((num_envs, self.per_env), np.bool_)  # transition t -> t+1 is stored
        self.first = np.zeros((num_envs, self.per_env), np.bool_)  # episode starts at t
        self.pos = np.zeros(num_envs, np.int64)  # next slot to write
        self.filled = np.zeros(num_envs, np.int64)  # slots written so far (0..filled-1), up to per_env
        self.cur = np.full(num_envs, -1, np.int64)  # slot of each env's current observation
        self.size = 0

    def _write(self, env: int, frame: np.ndarray, first: bool) -> int:
        slot = self.pos[env]
        self.frames[env, slot] = frame
        self.first[env, slot] = first
        self.valid[env, slot] = False
        self.pos[env] = (slot + 1) % self.per_env
        self.filled[env] = min(self.filled[env] + 1, self.per_env)
        self.size = min(self.size + 1, self.per_env * self.num_envs)
        return int(slot)

    def start(self, observations: np.ndarray, envs: np.ndarray | None = None) -> None:
        """Episode starts: ``observations`` (N, 4, 84, 84); only the newest frame is kept."""
        for e in range(self.num_envs) if envs is None else envs:
            self.cur[e] = self._write(e, observations[e, -1], True)

    def add(self, actions, rewards, terminated, next_observations, final_observations, done) -> None:
        """One vector step. ``final_observations[e]`` is used where ``done[e]``; the next (reset)
        observation then starts a new episode."""
        for e in range(self.num_envs):
            slot = self.cur[e]
            self.actions[e, slot], self.rewards[e, slot] = actions[e], rewards[e]
            self.terminated[e, slot] = terminated[e]
            last = final_observations[e] if done[e] else next_observations[e]
            self._write(e, last[-1], False)
            self.valid[e, slot] = True
            if done[e]:
                self.cur[e] = self._write(e, next_observations[e, -1], True)
            else:
                self.cur[e] = (slot + 1) % self.per_env

    def _stacks(self, env: np.ndarray, slot: np.ndarray) -> np.ndarray:
        idx = (slot[:, None] + np.arange(-self.stack + 1, 1)[None]) % self.per_env
        for j in range(self.stack - 2, -1, -1):  # stop at the episode's first frame
            idx[:, j] = np.where(self.first[env, idx[:, j + 1]], idx[:, j + 1], idx[:, j])
        return self.frames[env[:, None], idx]

    def sample(self, batch_size: int, rng: np.random.Generator):
        # slots drawn among the written ones: a fresh 1M buffer holding 100 transitions would
        # otherwise need millions of draws per batch (an apparent hang)
        env = rng.integers(0, self.num_envs, batch_size * 4)
        slot = rng.integers(0, self.filled[env])
        # transition stored, and its 3 older frames not yet overwritten by the write head
        age_ok = (slot - self.pos[env]) % self.per_env >= self.stack - 1
        keep = np.flatnonzero(self.valid[env, slot] & age_ok)
        while len(keep) < batch_size:  # rare: tiny or fresh buffers
            more_env = rng.integers(0, self.num_envs, batch_size * 4)
            more_slot = rng.integers(0, self.filled[more_env])
            env, slot = np.concatenate([env, more_env]), np.concatenate([slot, more_slot])
            age_ok = (slot - self.pos[env]) % self.per_env >= self.stack - 1
            keep = np.flatnonzero(self.valid[env, slot] & age_ok)
        env, slot = env[keep[:batch_size]], slot[keep[:batch_size]]
        next_slot = (slot + 1) % self.per_env
        return (
            self._stacks(env, slot),
            self.actions[env, slot],
            self.rewards[env, slot],
            self._stacks(env, next_slot),
            self.terminated[env, slot],
        )


def linear_schedule(start_e: float, end_e: float, duration: int, t: int):
    slope = (end_e - start_e) / duration
    return max(slope * t + start_e, end_e)


# On --resume these come from this command line: always (this machine's), or when given there.
RESUME_FROM_THIS_MACHINE = ("cuda", "torch_threads", "stop_after_updates", "resume")
RESUME_FROM_COMMAND_LINE = ("total_timesteps", "checkpoint_every", "eval_episodes")


def prepare_run(args: Args, given: set[str] | frozenset[str] = frozenset()) -> tuple[Args, Path, dict | None]:
    """Check every option and resolve the run directory, writing nothing. On --resume, restore the
    saved args (``given``: the fields set on this command line) and the checkpoint, if there is one."""
    if args.resume:
        args, checkpoint = restore_run(args, given, "dqn", RESUME_FROM_THIS_MACHINE, RESUME_FROM_COMMAND_LINE)
        check_args(args)
        return args, Path(args.resume), checkpoint
    check_args(args)
    run_dir = new_run_dir(args)
    return args, run_dir, None


if __name__ == "__main__":
    # Every option is checked and the envs are built before the run directory is made: a refused
    # start leaves nothing behind, so a run directory always holds a run that --resume continues.
    try:
        args, run_dir, checkpoint = prepare_run(tyro.cli(Args), command_line_fields(sys.argv[1:]))

        # TRY NOT TO MODIFY: seeding
        random.seed(args.seed)
        np.random.seed(args.seed)
        torch.manual_seed(args.seed)
        torch.backends.cudnn.deterministic = args.torch_deterministic
        torch.set_num_threads(args.torch_threads or min(2, os.cpu_count() or 1))
        device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")

        # env setup (a resumed run records its videos beside, never over, the earlier ones)
        session = None if not args.resume else f"resumed-at-step-{checkpoint['global_step'] if checkpoint else 0}"
        videos = video_folder(run_dir, session)
        new_folders = [folder for folder in (videos.parent, videos) if not folder.exists()]
        try:
            envs = make_vector_env(args, str(videos))
        except (TypeError, ValueError, ImportError, gym.error.Error) as error:  # the env's own message says why
            raise ValueError(f"cannot make {args.env_id}: {error}") from error
        assert isinstance(envs.single_action_space, gym.spaces.Discrete), "only discrete action space is supported"
        ours = is_scoregames_id(args.env_id)
        n_actions = int(envs.single_action_space.n)
        # the env's actions and frames must be the checkpoint's too
        check_env_matches_checkpoint(checkpoint, run_dir, args.env_id, envs, [envs], new_folders)
        restarting = open_run_dir(run_dir, dataclasses.asdict(args), args.resume is not None, checkpoint, [envs])
    except KeyboardInterrupt:
        print("dqn.py: interrupted before the run started; nothing was written", file=sys.stderr)
        sys.exit(130)
    except (ValueError, OSError, gym.error.Error) as error:
        print(f"dqn.py: error: {error}", file=sys.stderr)
        sys.exit(2)

    # A restart's or resume's events go to a new file; purge_step hides the stopped attempt's from step 0
    # (restart) or past its checkpoint (logged by a process killed before its next one) in TensorBoard.
    writer = SummaryWriter(str(run_dir), purge_step=purge_step(restarting, checkpoint))
    if checkpoint is None:
        writer.add_text(
            "hyperparameters",
            "|param|value|\n|-|-|\n" + "\n".join([f"|{key}|{value}|" for key, value in vars(args).items()]),
        )

    q_network = build_network("dqn", n_actions).to(device)
    optimizer = optim.Adam(q_network.parameters(), lr=args.learning_rate)
    target_network = build_network("dqn", n_actions).to(device)
    target_network.load_state_dict(q_network.state_dict())
    global_step, update, wall_before, learning_starts = 0, 0, 0.0, args.learning_starts
    if checkpoint is not None:
        q_network = load_network(checkpoint, str(run_dir)).to(device)
        optimizer = optim.Adam(q_network.parameters(), lr=args.learning_rate)
        optimizer.load_state_dict(checkpoint["optimizer"])
        target_network.load_state_dict(checkpoint["target"])
        global_step, update = int(checkpoint["global_step"]), int(checkpoint["update"])
        wall_before = float(checkpoint.get("wall_seconds", 0.0))
        set_rng_state(checkpoint["rng"])
        learning_starts = global_step + min(args.learning_starts, args.buffer_size)  # refill the buffer first
        print(f"resumed {run_dir} at update {update}, global_step {global_step}", flush=True)

    # Exploration draws from the action space's own generator: seed it, or runs are not reproducible
    # (a resumed run, like its fresh episodes, continues from a seed derived from its step).
    envs.single_action_space.seed(args.seed + global_step)
    rb = FrameReplayBuffer(args.buffer_size, args.num_envs, envs.single_observation_space.shape[1:])
    sample_rng = np.random.default_rng(args.seed + global_step)
    stop_signal = 0

    def request_stop(signum, frame):  # SIGTERM/SIGINT: checkpoint and exit 128 + signum at the next step
        global stop_signal
        stop_signal = signum

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    def write_checkpoint() -> None:
        save_checkpoint(
            run_dir / CHECKPOINT_NAME,
            {
                "algo": "dqn",
                "env_id": args.env_id,
                "hud": args.hud,
                "reward_source": args.reward_source,
                "n_actions": n_actions,
                "obs_shape": list(envs.single_observation_space.shape),
                "preprocess": "gym-gray-area84" if ours else "ale-resize-gray84",
                "model": q_network.state_dict(),
                "target": target_network.state_dict(),
                "optimizer": optimizer.state_dict(),
                "global_step": global_step,
                "update": update,
                "wall_seconds": wall_before + time.time() - start_time,
                "rng": rng_state(),
                "recent_episodes": recent[-100:],  # so a resumed run's summary covers earlier episodes
            },
        )

    start_time = time.time()
    start_step, updates_done = global_step, 0
    displayed_return = np.zeros(args.num_envs)
    episode_length = np.zeros(args.num_envs, np.int64)
    recent: list[dict] = list(checkpoint.get("recent_episodes", [])) if checkpoint else []
    last_print = time.time()

    # TRY NOT TO MODIFY: start the game
    obs, reset_infos = envs.reset(seed=args.seed + 100_003 * update)
    lives = reset_infos.get("lives")  # ALE's lives are handled by EpisodicLifeEnv in make_env
    rb.start(obs)
    stopping = False
    while global_step < args.total_timesteps and not stopping:
        # ALGO LOGIC: put action logic here
        epsilon = linear_schedule(
            args.start_e, args.end_e, int(args.exploration_fraction * args.total_timesteps), global_step
        )
        if random.random() < epsilon:
            actions = np.array([envs.single_action_space.sample() for _ in range(envs.num_envs)])
        else:
            with torch.no_grad():
                q_values = q_network(torch.as_tensor(obs, device=device))
            actions = torch.argmax(q_values, dim=1).cpu().numpy()

        # TRY NOT TO MODIFY: execute the game and log data.
        next_obs, rewards, terminations, truncations, infos = envs.step(actions)
        global_step += args.num_envs
        done = np.logical_or(terminations, truncations)
        episode_length += 1
        if ours:
            displayed_return += np.where(
                done, infos.get("final_info", {}).get("displayed_reward", 0), infos["displayed_reward"]
            )
        if done.any():
            final = infos["final_info"]
            for i in np.flatnonzero(done):
                if ours:
                    record = {
                        "return": float(final["true_score"][i]),
                        "displayed_return": float(displayed_return[i]),
                        "tamper_count": int(final["tamper_count"][i]),
                        "length": int(episode_length[i]),
                    }
                elif "episode" in final and final["_episode"][i]:  # ALE: only at real game over
                    record = {"return": float(final["episode"]["r"][i]), "length": int(final["episode"]["l"][i])}
                else:
                    continue
                recent.append(record)
                writer.add_scalar("charts/episodic_return", record["return"], global_step)
                writer.add_scalar("charts/episodic_length", record["length"], global_step)
                writer.add_scalar("charts/epsilon", epsilon, global_step)
                if ours:
                    writer.add_scalar("charts/episodic_displayed_return", record["displayed_return"], global_step)
                    writer.add_scalar("charts/tamper_count", record["tamper_count"], global_step)
            displayed_return[done] = 0
            episode_length[done] = 0

        # TRY NOT TO MODIFY: save data to reply buffer; SAME_STEP: the true last frame is final_obs
        train_rewards = np.sign(rewards) if args.clip_rewards else rewards
        final_obs = np.stack([infos["final_obs"][i] if done[i] else next_obs[i] for i in range(envs.num_envs)])
        ends_value = terminations
        if args.episodic_life and ours:  # a lost life: no bootstrapping past it, frames go on
            ends_value = terminations | life_lost(lives, infos["lives"], done)
            lives = infos["lives"]
        rb.add(actions, train_rewards, ends_value, next_obs, final_obs, done)
        obs = next_obs

        # ALGO LOGIC: training, one update per `train_frequency` env steps: with more envs than that,
        # several per vector step (with fewer, CleanRL's `global_step % train_frequency == 0` schedule).
        updates_due = global_step // args.train_frequency - (global_step - args.num_envs) // args.train_frequency
        for _ in range(updates_due if global_step > learning_starts else 0):
            data_obs, data_actions, data_rewards, data_next_obs, data_dones = rb.sample(args.batch_size, sample_rng)
            data_obs = torch.as_tensor(data_obs, device=device)
            data_next_obs = torch.as_tensor(data_next_obs, device=device)
            with torch.no_grad():
                target_max, _ = target_network(data_next_obs).max(dim=1)
                td_target = torch.as_tensor(data_rewards, device=device) + args.gamma * target_max * (
                    1 - torch.as_tensor(data_dones, dtype=torch.float32, device=device)
                )
            old_val = q_network(data_obs).gather(1, torch.as_tensor(data_actions, device=device)[:, None]).squeeze()
            loss = F.mse_loss(td_target, old_val)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            update += 1
            updates_done += 1

            if update % 100 == 0:
                sps = int((global_step - start_step) / (time.time() - start_time))
                writer.add_scalar("losses/td_loss", loss.item(), global_step)
                writer.add_scalar("losses/q_values", old_val.mean().item(), global_step)
                writer.add_scalar("charts/SPS", sps, global_step)

            if update % args.checkpoint_every == 0:
                write_checkpoint()
            if args.stop_after_updates and updates_done >= args.stop_after_updates:
                stopping = True
                break

        # update target network
        if global_step % args.target_network_frequency < args.num_envs:
            for target_param, param in zip(target_network.parameters(), q_network.parameters()):
                target_param.data.copy_(args.tau * param.data + (1.0 - args.tau) * target_param.data)

        if time.time() - last_print > 10 or stopping:
            last_print = time.time()
            last = recent[-20:]
            mean_return = np.mean([r["return"] for r in last]) if last else float("nan")
            sps = int((global_step - start_step) / (time.time() - start_time))
            print(
                f"step {global_step}/{args.total_timesteps} update {update} SPS {sps} eps {epsilon:.3f} "
                f"return(last {len(last)}) {mean_return:7.2f}",
                flush=True,
            )
        stopping = stopping or bool(stop_signal)

    write_checkpoint()
    envs.close()
    if stopping:
        why = f" by {signal.Signals(stop_signal).name}" if stop_signal else ""
        print(f"stopped{why} at update {update}, global_step {global_step}; resume with --resume {run_dir}")
        writer.close()
        sys.exit(128 + stop_signal if stop_signal else 0)  # a signal's exit status: the run is not finished

    eval_returns: list[float] = []
    if args.eval_episodes > 0:
        policy = load_policy(run_dir, device=str(device))
        eval_env = evaluation_env(
            args.env_id, args.hud, args.reward_source, args.episodic_life, **parse_env_kwargs(args.env_kwargs)
        )
        played = play_evaluation(
            policy, eval_env, args.eval_episodes, args.seed, ours, lambda: bool(stop_signal),
            lambda episode, value: writer.add_scalar("eval/episodic_return", value, episode),
            epsilon=0.01,  # CleanRL's evaluation epsilon
        )  # fmt: skip
        eval_env.close()
        if played is None:  # trained and checkpointed, not evaluated: --resume evaluates and summarises
            print(f"stopped by {signal.Signals(stop_signal).name} in the evaluation; finish it with --resume {run_dir}")
            writer.close()
            sys.exit(128 + stop_signal)
        eval_returns = played
        print(f"eval over {args.eval_episodes} episodes: mean true return {np.mean(eval_returns):.2f}")

    last = recent[-20:]
    summary = {
        "algo": "dqn",
        "env_id": args.env_id,
        "hud": args.hud,
        "reward_source": args.reward_source,
        "seed": args.seed,
        "global_step": global_step,
        "episodes_last": len(last),
        "episodic_return_mean_last": float(np.mean([r["return"] for r in last])) if last else None,
        "episodic_displayed_return_mean_last": float(np.mean([r["displayed_return"] for r in last]))
        if last and ours
        else None,
        "tamper_count_mean_last": float(np.mean([r["tamper_count"] for r in last])) if last and ours else None,
        "eval_return_mean": float(np.mean(eval_returns)) if eval_returns else None,
        "sps": int((global_step - start_step) / max(time.time() - start_time, 1e-9)),
        "wall_seconds": wall_before + time.time() - start_time,
        "finished": True,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    writer.close()
