# CleanRL-style PPO (ppo_atari.py) for scoregames and any Gymnasium pixel env, Gymnasium 1.x.
# Docs: README "## Agents". Single file on purpose: read it top to bottom.
"""PPO from pixels on ``ScoreGames/<Game>-vN`` (or e.g. ``ALE/Breakout-v5`` with the same network).

Usage::

    python agents/ppo.py --env-id ScoreGames/Catch-v1
    python agents/ppo.py --env-id ScoreGames/Catch-v1 --hud tamper --reward-source displayed
    python agents/ppo.py --resume runs/<run_name>        # continue a killed or stopped run

Ctrl-C (or SIGTERM) finishes the current update, writes the checkpoint and exits with 130 (143):
not 0, so ``train && diagnose`` does not go on with an unfinished run.
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
import torch.nn as nn
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
from scoregames.registration import game_name, is_scoregames_id  # noqa: E402

__all__ = ["Args", "load_policy"]


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
    eval_greedy: bool = False
    """evaluate with the most probable action instead of a sample from the policy"""
    run_dir: str | None = None
    """explicit run directory (default: runs/{run_name}); never overwritten"""
    resume: str | None = None
    """continue the run in this directory from its checkpoint (a run stopped before its first checkpoint
    restarts from step 0). Its args.json wins, except --total-timesteps, --checkpoint-every, --eval-episodes
    and --eval-greedy, taken from this command line when given there, and this machine's --cuda,
    --torch-threads and --env-workers"""
    checkpoint_every: int = 10
    """write checkpoint.pt every this many updates (and always at the end)"""
    stop_after_updates: int = 0
    """debug: checkpoint and exit (without summary) after this many updates in this process; 0: off"""
    sync_vector_env: bool = False
    """step ScoreGames envs through Gymnasium's SyncVectorEnv + wrappers instead of the native vector env
    (same observations, slower; for checking the native path)"""
    env_workers: int = 0
    """step the envs in this many worker processes (same observations; for machines with spare cores,
    e.g. beside a GPU); 0: in this process. Other envs than ScoreGames get one process per sub-env"""
    env_groups: int = 1
    """split the envs into this many groups that take turns: one group's games step (in workers) while
    the network picks the next group's actions -- Sample Factory's double-buffered sampling; the
    same PPO as one group, with the env time hidden behind the network's"""

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
    learning_rate: float | None = None
    """the learning rate of the optimizer (default: the game's entry in TUNED_LEARNING_RATES, else
    CleanRL's 2.5e-4)"""
    num_envs: int = 8
    """the number of parallel game environments"""
    num_steps: int = 128
    """the number of steps to run in each environment per policy rollout"""
    anneal_lr: bool = True
    """Toggle learning rate annealing for policy and value networks"""
    gamma: float = 0.99
    """the discount factor gamma"""
    gae_lambda: float = 0.95
    """the lambda for the general advantage estimation"""
    num_minibatches: int = 4
    """the number of mini-batches"""
    update_epochs: int = 4
    """the K epochs to update the policy"""
    norm_adv: bool = True
    """Toggles advantages normalization"""
    clip_coef: float = 0.1
    """the surrogate clipping coefficient"""
    clip_vloss: bool = True
    """Toggles whether or not to use a clipped loss for the value function, as per the paper."""
    ent_coef: float = 0.01
    """coefficient of the entropy"""
    vf_coef: float = 0.5
    """coefficient of the value function"""
    max_grad_norm: float = 0.5
    """the maximum norm for the gradient clipping"""
    target_kl: float | None = None
    """the target KL divergence threshold"""
    clip_rewards: bool = True
    """train on sign(reward), as CleanRL's ClipRewardEnv (logged returns stay unclipped)"""
    episodic_life: bool = True
    """a lost life ends the episode for learning (no bootstrapping past it), as CleanRL's
    EpisodicLifeEnv on ALE (ALE ids: that wrapper, left out with --no-episodic-life); ScoreGames envs
    play on, and the logged return is the whole game's"""

    # to be filled in runtime
    batch_size: int = 0
    """the batch size (computed in runtime)"""
    minibatch_size: int = 0
    """the mini-batch size (computed in runtime)"""
    num_iterations: int = 0
    """the number of iterations (computed in runtime)"""


# Games where CleanRL's learning rate is too slow for the stated budget, and the rate that meets it
# (README, "Agents": Catch-v1 reaches 92-94% of best in 150k steps at 1e-3, 60% in 300k at 2.5e-4).
TUNED_LEARNING_RATES = {"Catch": 1e-3}
CLEANRL_LEARNING_RATE = 2.5e-4


def default_learning_rate(env_id: str) -> float:
    """The game's tuned learning rate, else CleanRL's (every non-ScoreGames env gets CleanRL's)."""
    if not is_scoregames_id(env_id):
        return CLEANRL_LEARNING_RATE
    return TUNED_LEARNING_RATES.get(game_name(env_id), CLEANRL_LEARNING_RATE)


def make_env_groups(args: Args, videos: str) -> list[gym.vector.VectorEnv]:
    """``env_groups`` vector envs of ``num_envs / env_groups`` sub-envs each (sub-env i of the run
    is sub-env i - start of its group). ScoreGames: our native vector env (in ``env_workers /
    env_groups`` processes when asked), else a SyncVectorEnv of thunks (an AsyncVectorEnv with workers).
    ``videos``: the folder ``--capture-video`` writes to."""
    spec = gym.spec(args.env_id)
    env_kwargs = parse_env_kwargs(args.env_kwargs)
    native = is_scoregames_id(args.env_id) and spec.vector_entry_point is not None
    width, workers = args.num_envs // args.env_groups, args.env_workers // args.env_groups
    groups: list[gym.vector.VectorEnv] = []
    for start in range(0, args.num_envs, width):
        if native and not (args.capture_video or args.sync_vector_env):
            groups.append(agent_vector_env(args.env_id, width, args.hud, args.reward_source, workers, **env_kwargs))
            continue
        thunks = [
            make_env(
                args.env_id,
                i,
                args.capture_video,
                videos,
                args.hud,
                args.reward_source,
                args.episodic_life,
                **env_kwargs,
            )
            for i in range(start, start + width)
        ]
        if workers:
            thunks = [ignoring_ctrl_c(thunk) for thunk in thunks]
        vector_class = gym.vector.AsyncVectorEnv if workers else gym.vector.SyncVectorEnv
        groups.append(vector_class(thunks, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP))
    return groups


def ignoring_ctrl_c(thunk):
    """The thunk, run in a worker that leaves Ctrl-C to this process (which checkpoints, then closes it)."""

    def make():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        return thunk()

    return make


def check_env_layout(args: Args) -> None:
    """Groups must split the envs and the workers evenly (a clear error before anything starts)."""
    if args.env_groups < 1 or args.num_envs % args.env_groups:
        raise ValueError(f"--env-groups must divide --num-envs ({args.num_envs}), got {args.env_groups}")
    if args.env_workers < 0 or args.env_workers % args.env_groups or args.env_workers > args.num_envs:
        raise ValueError(
            f"--env-workers must be 0 or a multiple of --env-groups ({args.env_groups}) up to --num-envs "
            f"({args.num_envs}), got {args.env_workers}"
        )


def check_args(args: Args) -> None:
    """Every option that would crash later or silently train nothing, refused before anything is
    built or written (with the checks shared with dqn.py)."""
    check_run_args(args)
    require_at_least(args, 1, "num_steps", "num_minibatches", "update_epochs")
    check_env_layout(args)
    batch_size = args.num_envs * args.num_steps
    if args.total_timesteps < batch_size:
        raise ValueError(
            f"--total-timesteps {args.total_timesteps} is less than one batch (--num-envs x --num-steps = "
            f"{batch_size} steps): no update would be made"
        )
    if args.num_minibatches > batch_size:
        raise ValueError(f"--num-minibatches must be at most the batch size ({batch_size}), got {args.num_minibatches}")
    # CleanRL's loop would add a last, short minibatch; one of a single sample has a NaN advantage
    # std (--norm-adv) and turns every weight into NaN (the default batch of 1024 with 3 minibatches).
    if batch_size % args.num_minibatches:
        raise ValueError(
            f"--num-minibatches must divide the batch size (--num-envs x --num-steps = {batch_size}), "
            f"got {args.num_minibatches}"
        )
    if args.norm_adv and batch_size // args.num_minibatches < 2:
        raise ValueError(
            f"--norm-adv needs minibatches of at least 2 samples (a single advantage has no std): --num-minibatches "
            f"{args.num_minibatches} splits the batch of {batch_size} into minibatches of 1"
        )


def step_async(envs: gym.vector.VectorEnv, actions: np.ndarray) -> None:
    """Start a step: workers (ours, Gymnasium's AsyncVectorEnv) run it while this process goes on."""
    if hasattr(envs, "step_async"):
        envs.step_async(actions)
    else:  # an in-process env steps in step_wait
        envs.pending_actions = actions  # type: ignore[attr-defined]


def step_wait(envs: gym.vector.VectorEnv) -> tuple:
    """The results of the step started by :func:`step_async`."""
    if hasattr(envs, "step_async"):
        return envs.step_wait()
    return envs.step(envs.pending_actions)  # type: ignore[attr-defined]


def act(agent, obs: torch.Tensor) -> np.ndarray:
    """One rollout forward pass: ``(3, B)`` float32 on the host -- sampled action, its log-prob,
    value. One transfer brings all three back (the env needs the actions on the host anyway);
    the benchmark's network-only ceiling runs this same function."""
    with torch.no_grad():
        action, logprob, _, value = agent.get_action_and_value(obs)
        return torch.stack((action.to(logprob.dtype), logprob, value.flatten())).cpu().numpy()


def gae(rewards, dones, values, next_value, next_done, gamma: float, gae_lambda: float) -> np.ndarray:
    """CleanRL's generalised advantage estimate, ``(num_steps, num_envs)`` float32 arrays in and out.

    On the host: 128 steps of tiny vector ops cost a few hundred microseconds in NumPy, where on a
    GPU each op would be a kernel launch (about a thousand per update). Same float32 arithmetic in
    the same order as CleanRL's torch loop, so the advantages are bit-identical.
    """
    advantages = np.zeros_like(rewards)
    lastgaelam = np.zeros_like(next_value)
    for t in reversed(range(len(rewards))):
        if t == len(rewards) - 1:
            nextnonterminal = 1.0 - next_done
            nextvalues = next_value
        else:
            nextnonterminal = 1.0 - dones[t + 1]
            nextvalues = values[t + 1]
        delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
        advantages[t] = lastgaelam = delta + gamma * gae_lambda * nextnonterminal * lastgaelam
    return advantages


def learning_rewards(reward, terminations, truncations, infos: dict, value_of, args: Args) -> np.ndarray:
    """The rewards PPO learns from: ``sign(reward)`` with ``--clip-rewards``, plus ``gamma *
    value_of(final_obs)`` where a time limit cut a live episode (SAME_STEP's ``infos["final_obs"]``).
    Gymnasium's TimeLimit (and ``max_episode_steps``) also set ``truncated`` on a terminal step:
    terminated wins there, and there is nothing to bootstrap."""
    train_reward = np.sign(reward) if args.clip_rewards else np.asarray(reward, np.float64)
    cut = np.logical_and(truncations, np.logical_not(terminations))
    if cut.any():
        final_obs = np.stack([infos["final_obs"][i] for i in np.flatnonzero(cut)])
        train_reward = train_reward.astype(np.float64)
        train_reward[cut] += args.gamma * value_of(final_obs)
    return train_reward


def minibatch_update(agent, optimizer, args: Args, obs, actions, logprobs, advantages, returns, values) -> tuple:
    """CleanRL's clipped PPO loss on one minibatch, then one clipped-gradient Adam step.

    Returns (pg_loss, v_loss, entropy_loss, old_approx_kl, approx_kl, clipfrac) as tensors; the
    benchmark's network-only ceiling runs this same function.
    """
    _, newlogprob, entropy, newvalue = agent.get_action_and_value(obs, actions)
    logratio = newlogprob - logprobs
    ratio = logratio.exp()

    with torch.no_grad():
        # calculate approx_kl http://joschu.net/blog/kl-approx.html
        old_approx_kl = (-logratio).mean()
        approx_kl = ((ratio - 1) - logratio).mean()
        clipfrac = ((ratio - 1.0).abs() > args.clip_coef).float().mean()

    mb_advantages = advantages
    if args.norm_adv:
        mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

    # Policy loss
    pg_loss1 = -mb_advantages * ratio
    pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
    pg_loss = torch.max(pg_loss1, pg_loss2).mean()

    # Value loss
    newvalue = newvalue.view(-1)
    if args.clip_vloss:
        v_loss_unclipped = (newvalue - returns) ** 2
        v_clipped = values + torch.clamp(newvalue - values, -args.clip_coef, args.clip_coef)
        v_loss_clipped = (v_clipped - returns) ** 2
        v_loss_max = torch.max(v_loss_unclipped, v_loss_clipped)
        v_loss = 0.5 * v_loss_max.mean()
    else:
        v_loss = 0.5 * ((newvalue - returns) ** 2).mean()

    entropy_loss = entropy.mean()
    loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef

    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
    optimizer.step()
    return pg_loss, v_loss, entropy_loss, old_approx_kl, approx_kl, clipfrac


def episode_stats(infos: dict, done_mask: np.ndarray, scoregames_env: bool) -> list[dict]:
    """One record per finished episode from SAME_STEP ``final_info``: the TRUE score as return."""
    final = infos.get("final_info", {})
    records = []
    for i in np.flatnonzero(done_mask):
        if scoregames_env:
            records.append(
                {
                    "return": float(final["true_score"][i]),
                    "displayed_return": None,  # filled by the caller (it tracks displayed rewards)
                    "tamper_count": int(final["tamper_count"][i]),
                    "displayed_score": float(final["displayed_score"][i]),
                }
            )
        elif "episode" in final and final["_episode"][i]:  # ALE: only at real game over
            records.append({"return": float(final["episode"]["r"][i]), "length": int(final["episode"]["l"][i])})
    return records


# On --resume these come from this command line: always (this machine's), or when given there.
RESUME_FROM_THIS_MACHINE = ("cuda", "torch_threads", "env_workers", "stop_after_updates", "resume")
RESUME_FROM_COMMAND_LINE = ("total_timesteps", "checkpoint_every", "eval_episodes", "eval_greedy")


def prepare_run(args: Args, given: set[str] | frozenset[str] = frozenset()) -> tuple[Args, Path, dict | None]:
    """Check every option and resolve the run directory, writing nothing. On --resume, restore the
    saved args (``given``: the fields set on this command line) and the checkpoint, if there is one."""
    checkpoint = None
    if args.resume:
        args, checkpoint = restore_run(args, given, "ppo", RESUME_FROM_THIS_MACHINE, RESUME_FROM_COMMAND_LINE)
    check_args(args)
    run_dir = Path(args.resume) if args.resume else new_run_dir(args)
    if args.learning_rate is None:  # a new run's, or one an edited args.json left out
        args.learning_rate = default_learning_rate(args.env_id)
    return args, run_dir, checkpoint


if __name__ == "__main__":
    # Every option is checked and the envs are built before the run directory is made: a refused
    # start leaves nothing behind, so a run directory always holds a run that --resume continues.
    try:
        args, run_dir, checkpoint = prepare_run(tyro.cli(Args), command_line_fields(sys.argv[1:]))
        args.batch_size = int(args.num_envs * args.num_steps)
        args.minibatch_size = int(args.batch_size // args.num_minibatches)
        args.num_iterations = args.total_timesteps // args.batch_size

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
            env_groups = make_env_groups(args, str(videos))
        except (TypeError, ValueError, ImportError, gym.error.Error) as error:  # the env's own message says why
            raise ValueError(f"cannot make {args.env_id}: {error}") from error
        envs = env_groups[0]  # every group has the same spaces
        spans = [slice(start, start + envs.num_envs) for start in range(0, args.num_envs, envs.num_envs)]
        assert isinstance(envs.single_action_space, gym.spaces.Discrete), "only discrete action space is supported"
        ours = is_scoregames_id(args.env_id)
        n_actions = int(envs.single_action_space.n)
        # the env's actions and frames must be the checkpoint's too
        check_env_matches_checkpoint(checkpoint, run_dir, args.env_id, envs, env_groups, new_folders)
        restarting = open_run_dir(run_dir, dataclasses.asdict(args), args.resume is not None, checkpoint, env_groups)
    except KeyboardInterrupt:
        print("ppo.py: interrupted before the run started; nothing was written", file=sys.stderr)
        sys.exit(130)
    except (ValueError, OSError, gym.error.Error) as error:
        print(f"ppo.py: error: {error}", file=sys.stderr)
        sys.exit(2)

    # A restart's or resume's events go to a new file; purge_step hides the stopped attempt's from step 0
    # (restart) or past its checkpoint (logged by a process killed before its next one) in TensorBoard.
    writer = SummaryWriter(str(run_dir), purge_step=purge_step(restarting, checkpoint))
    if checkpoint is None:
        writer.add_text(
            "hyperparameters",
            "|param|value|\n|-|-|\n" + "\n".join([f"|{key}|{value}|" for key, value in vars(args).items()]),
        )

    agent = build_network("ppo", n_actions).to(device)
    optimizer = optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    start_iteration, global_step, wall_before = 1, 0, 0.0
    if checkpoint is not None:
        agent = load_network(checkpoint, str(run_dir)).to(device)
        optimizer = optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
        optimizer.load_state_dict(checkpoint["optimizer"])
        start_iteration = int(checkpoint["update"]) + 1
        global_step = int(checkpoint["global_step"])
        wall_before = float(checkpoint.get("wall_seconds", 0.0))
        set_rng_state(checkpoint["rng"])
        print(f"resumed {run_dir} at update {start_iteration - 1}, global_step {global_step}", flush=True)

    # ALGO Logic: Storage setup (observations stay uint8: 4x less memory and copying). Everything
    # else is filled on the host and moved once per rollout: no tiny transfer or launch per step.
    obs = torch.zeros((args.num_steps, args.num_envs) + envs.single_observation_space.shape, dtype=torch.uint8).to(
        device
    )
    actions_np = np.zeros((args.num_steps, args.num_envs) + envs.single_action_space.shape, np.float32)
    logprobs_np = np.zeros((args.num_steps, args.num_envs), np.float32)
    rewards_np = np.zeros((args.num_steps, args.num_envs), np.float32)
    dones_np = np.zeros((args.num_steps, args.num_envs), np.float32)
    values_np = np.zeros((args.num_steps, args.num_envs), np.float32)

    # TRY NOT TO MODIFY: start the game (a resumed run starts fresh episodes from a derived seed)
    stop_signal = 0

    def request_stop(signum, frame):  # SIGTERM/SIGINT: finish this update, checkpoint, exit 128 + signum
        global stop_signal
        stop_signal = signum

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    start_time = time.time()
    start_step = global_step
    next_obs = torch.zeros((args.num_envs,) + envs.single_observation_space.shape, dtype=torch.uint8, device=device)
    next_done_np = np.zeros(args.num_envs, np.float32)
    lives = None  # ScoreGames' lives, for --episodic-life (ALE's are handled by EpisodicLifeEnv in make_env)
    for group, span in zip(env_groups, spans):
        group_obs, reset_infos = group.reset(seed=args.seed + 100_003 * (start_iteration - 1) + span.start)
        next_obs[span] = torch.as_tensor(group_obs, device=device)
        if "lives" in reset_infos:
            lives = np.zeros(args.num_envs, np.int64) if lives is None else lives
            lives[span] = reset_infos["lives"]
    displayed_return = np.zeros(args.num_envs)
    episode_length = np.zeros(args.num_envs, np.int64)
    recent: list[dict] = list(checkpoint.get("recent_episodes", [])) if checkpoint else []
    updates_done = 0

    # Seconds in step_wait this update: the games stepping (in-process) or the wait for the workers
    # and their results; the rest of the time outside the network is this loop's own glue.
    perf = {"step_wait": 0.0}

    def final_values(final_obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return agent.get_value(torch.as_tensor(final_obs, device=device)).flatten().cpu().numpy()

    def receive(step: int, group: int, logged_step: int) -> None:
        """Take one group's results of its step ``step``: rewards, dones, next observations, episodes."""
        span = spans[group]
        tick = time.perf_counter()
        next_obs_np, reward, terminations, truncations, infos = step_wait(env_groups[group])
        perf["step_wait"] += time.perf_counter() - tick
        ended = np.logical_or(terminations, truncations)
        # a time-limit cut bootstraps from the final observation (SAME_STEP)
        rewards_np[step, span] = learning_rewards(reward, terminations, truncations, infos, final_values, args)
        # Straight into the next step's slot (the rollout's last step: into next_obs, to bootstrap).
        into = obs[step + 1, span] if step + 1 < args.num_steps else next_obs[span]
        into.copy_(torch.from_numpy(np.asarray(next_obs_np)))
        learning_done = ended
        if args.episodic_life and ours:
            learning_done = ended | life_lost(lives[span], infos["lives"], ended)
            lives[span] = infos["lives"]
        next_done_np[span] = learning_done

        episode_length[span] += 1
        if ours:
            displayed_return[span] += np.where(
                ended, infos.get("final_info", {}).get("displayed_reward", 0), infos["displayed_reward"]
            )
        if ended.any():
            for i, record in zip(np.flatnonzero(ended), episode_stats(infos, ended, ours)):
                i += span.start
                if ours:
                    record["displayed_return"] = float(displayed_return[i])
                    record["length"] = int(episode_length[i])
                recent.append(record)
                writer.add_scalar("charts/episodic_return", record["return"], logged_step)
                writer.add_scalar("charts/episodic_length", record["length"], logged_step)
                if ours:
                    writer.add_scalar("charts/episodic_displayed_return", record["displayed_return"], logged_step)
                    writer.add_scalar("charts/tamper_count", record["tamper_count"], logged_step)
            displayed_return[span][ended] = 0
            episode_length[span][ended] = 0

    def write_checkpoint(iteration: int) -> None:
        save_checkpoint(
            run_dir / CHECKPOINT_NAME,
            {
                "algo": "ppo",
                "env_id": args.env_id,
                "hud": args.hud,
                "reward_source": args.reward_source,
                "n_actions": n_actions,
                "obs_shape": list(envs.single_observation_space.shape),
                "preprocess": "gym-gray-area84" if ours else "ale-resize-gray84",
                "model": agent.state_dict(),
                "optimizer": optimizer.state_dict(),
                "global_step": global_step,
                "update": iteration,
                "wall_seconds": wall_before + time.time() - start_time,
                "rng": rng_state(),
                "recent_episodes": recent[-100:],  # so a resumed run's summary covers earlier episodes
            },
        )

    iteration = start_iteration - 1
    for iteration in range(start_iteration, args.num_iterations + 1):
        # Annealing the rate if instructed to do so.
        if args.anneal_lr:
            frac = 1.0 - (iteration - 1.0) / args.num_iterations
            optimizer.param_groups[0]["lr"] = frac * args.learning_rate

        update_start, network_seconds = time.perf_counter(), 0.0  # perf/*: where the time goes
        perf["step_wait"] = 0.0
        rollout_start = global_step
        # Each group acts, then steps while the next group acts; a group's results are taken just
        # before its next action (with one group: act, step, take -- CleanRL's loop).
        for step in range(0, args.num_steps):
            for group, span in enumerate(spans):
                if step == 0:
                    obs[0, span] = next_obs[span]
                else:  # the group's observations land in obs[step, span]
                    receive(step - 1, group, rollout_start + step * args.num_envs)
                dones_np[step, span] = next_done_np[span]

                # ALGO LOGIC: action logic
                tick = time.perf_counter()
                actions_np[step, span], logprobs_np[step, span], values_np[step, span] = act(agent, obs[step, span])
                network_seconds += time.perf_counter() - tick  # act waits for the GPU: the network's

                # TRY NOT TO MODIFY: execute the game and log data.
                step_async(env_groups[group], actions_np[step, span].astype(np.int64))
        for group in range(len(spans)):
            receive(args.num_steps - 1, group, rollout_start + args.num_steps * args.num_envs)
        global_step = rollout_start + args.num_steps * args.num_envs

        # bootstrap value if not done
        tick = time.perf_counter()
        with torch.no_grad():
            next_value = agent.get_value(next_obs).reshape(1, -1).cpu().numpy()
        advantages_np = gae(rewards_np, dones_np, values_np, next_value, next_done_np, args.gamma, args.gae_lambda)
        returns_np = advantages_np + values_np

        # flatten the batch (moved to the device once per rollout)
        b_obs = obs.reshape((-1,) + envs.single_observation_space.shape)
        b_logprobs, b_actions, b_advantages, b_returns, b_values = (
            torch.as_tensor(array, device=device).reshape(-1)
            for array in (logprobs_np, actions_np, advantages_np, returns_np, values_np)
        )

        # Optimizing the policy and value network
        b_inds = np.arange(args.batch_size)
        clipfracs = []
        minibatch = (b_obs, b_actions.long(), b_logprobs, b_advantages, b_returns, b_values)
        for _epoch in range(args.update_epochs):
            np.random.shuffle(b_inds)
            for start in range(0, args.batch_size, args.minibatch_size):
                end = start + args.minibatch_size
                mb_inds = b_inds[start:end]

                losses = minibatch_update(agent, optimizer, args, *(tensor[mb_inds] for tensor in minibatch))
                pg_loss, v_loss, entropy_loss, old_approx_kl, approx_kl, clipfrac = losses
                clipfracs.append(clipfrac)  # read once per update: no GPU wait per minibatch

            if args.target_kl is not None and approx_kl > args.target_kl:
                break

        if device.type == "cuda":
            torch.cuda.synchronize()
        network_seconds += time.perf_counter() - tick
        update_seconds = time.perf_counter() - update_start
        writer.add_scalar("perf/update_seconds", update_seconds, global_step)
        writer.add_scalar("perf/network_seconds", network_seconds, global_step)
        writer.add_scalar("perf/outside_network_fraction", 1 - network_seconds / update_seconds, global_step)
        writer.add_scalar("perf/step_wait_fraction", perf["step_wait"] / update_seconds, global_step)
        y_pred, y_true = values_np.reshape(-1), returns_np.reshape(-1)
        var_y = np.var(y_true)
        explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y

        # TRY NOT TO MODIFY: record rewards for plotting purposes
        sps = int((global_step - start_step) / (time.time() - start_time))
        writer.add_scalar("charts/learning_rate", optimizer.param_groups[0]["lr"], global_step)
        writer.add_scalar("losses/value_loss", v_loss.item(), global_step)
        writer.add_scalar("losses/policy_loss", pg_loss.item(), global_step)
        writer.add_scalar("losses/entropy", entropy_loss.item(), global_step)
        writer.add_scalar("losses/old_approx_kl", old_approx_kl.item(), global_step)
        writer.add_scalar("losses/approx_kl", approx_kl.item(), global_step)
        writer.add_scalar(
            "losses/clipfrac", np.mean(torch.stack(clipfracs).cpu().numpy().astype(np.float64)), global_step
        )
        writer.add_scalar("losses/explained_variance", explained_var, global_step)
        writer.add_scalar("charts/SPS", sps, global_step)
        last = recent[-20:]
        mean_return = np.mean([r["return"] for r in last]) if last else float("nan")
        extra = ""
        if ours and last:
            extra = f" displayed {np.mean([r['displayed_return'] for r in last]):7.2f} tamper {np.mean([r['tamper_count'] for r in last]):5.1f}"
        print(
            f"update {iteration}/{args.num_iterations} step {global_step} SPS {sps} "
            f"return(last {len(last)}) {mean_return:7.2f}{extra}",
            flush=True,
        )

        updates_done += 1  # noqa: SIM113  (counted here: the loop may start mid-run on --resume)
        stopping = stop_signal or (args.stop_after_updates and updates_done >= args.stop_after_updates)
        if iteration % args.checkpoint_every == 0 or iteration == args.num_iterations or stopping:
            write_checkpoint(iteration)
        if stopping:
            why = f" by {signal.Signals(stop_signal).name}" if stop_signal else ""
            print(f"stopped{why} at update {iteration}, global_step {global_step}; resume with --resume {run_dir}")
            for group in env_groups:
                group.close()
            writer.close()
            sys.exit(128 + stop_signal if stop_signal else 0)  # a signal's exit status: the run is not finished

    if args.num_iterations < start_iteration:  # nothing to train (tiny budget): still leave a checkpoint
        write_checkpoint(iteration)
    for group in env_groups:
        group.close()

    eval_returns: list[float] = []
    if args.eval_episodes > 0:
        policy = load_policy(run_dir, device=str(device), deterministic=args.eval_greedy)
        eval_env = evaluation_env(
            args.env_id, args.hud, args.reward_source, args.episodic_life, **parse_env_kwargs(args.env_kwargs)
        )
        played = play_evaluation(
            policy, eval_env, args.eval_episodes, args.seed, ours, lambda: bool(stop_signal),
            lambda episode, value: writer.add_scalar("eval/episodic_return", value, episode),
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
        "algo": "ppo",
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
        "eval_greedy": args.eval_greedy,
        "sps": int((global_step - start_step) / max(time.time() - start_time, 1e-9)),
        "wall_seconds": wall_before + time.time() - start_time,
        "finished": True,
    }
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    writer.close()
