"""Steady-state training speed of agents/ppo.py: our env vs ALE vs the network-only ceiling.

    python benchmarks/train_sps.py                    # defaults: 8 updates each, first 3 are warm-up
    python benchmarks/train_sps.py --updates 12 --warmup 4 --json sps.json
    python benchmarks/train_sps.py --cuda --num-envs 16 --num-minibatches 8 --env-groups 2 --env-workers 4

Runs ``agents/ppo.py`` (same network, same hyperparameters) on ``ScoreGames/Breakout-v0`` and on
``ALE/Breakout-v5`` one after the other, then times the network alone: ``num_steps`` x
``env_groups`` calls of the loop's own ``act`` on ``num_envs / env_groups`` observations (a
forward pass whose action, log-prob and value come back to the host, as the env needs), plus the
PPO update (``update_epochs`` x ``num_minibatches`` calls of the loop's own ``minibatch_update``:
CleanRL's clipped loss, backward, clipped Adam step) on random frames. That is the most env steps
per second the loop could reach with a free env and no glue. CleanRL's layout (8 envs, 4
minibatches) is the default; 16 envs in 2 groups with 8 minibatches does the same network work
per env step (forward batches of 8, minibatches of 256), with one group's games stepping in
workers while the other's actions are computed. Steady-state SPS is measured from TensorBoard
event wall times after the warm-up updates. The share of time outside the network, and the part
of it spent in ``step_wait`` (stepping the games, or waiting for the env workers and reading
their results; the rest is the loop's own glue), come from the script's ``perf/*`` scalars.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scoregames.bench import json_path_problem, save_json_new  # noqa: E402

NUM_STEPS, UPDATE_EPOCHS = 128, 4  # CleanRL's


def scalars(run_dir: Path, tag: str) -> list[tuple[float, int, float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    accumulator.Reload()
    return [(e.wall_time, e.step, e.value) for e in accumulator.Scalars(tag)]


def train_sps(env_id: str, layout: dict, options: argparse.Namespace, workdir: Path) -> dict:
    batch = layout["num_envs"] * NUM_STEPS
    run_dir = workdir / env_id.replace("/", "_")
    command = [
        sys.executable,
        str(ROOT / "agents" / "ppo.py"),
        "--env-id", env_id,
        "--total-timesteps", str(batch * options.updates),
        "--num-steps", str(NUM_STEPS),
        "--update-epochs", str(UPDATE_EPOCHS),
        *(f"--{key.replace('_', '-')}={value}" for key, value in layout.items()),
        "--torch-threads", str(options.threads),
        "--checkpoint-every", str(options.updates),
        "--cuda" if options.cuda else "--no-cuda",
        "--torch-deterministic" if options.torch_deterministic else "--no-torch-deterministic",
        "--run-dir", str(run_dir),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:  # ppo.py's own message says what was wrong (a bad layout, a missing package)
        raise RuntimeError(f"agents/ppo.py on {env_id} exited with status {done.returncode}:\n{done.stderr[-3000:]}")
    events = scalars(run_dir, "charts/SPS")[options.warmup - 1 :]  # the event at the end of update `warmup`
    (t0, s0, _), (t1, s1, _) = events[0], events[-1]
    outside = [v for _, _, v in scalars(run_dir, "perf/outside_network_fraction")[options.warmup :]]
    waiting = [v for _, _, v in scalars(run_dir, "perf/step_wait_fraction")[options.warmup :]]
    return {
        "env_id": env_id,
        "steady_sps": (s1 - s0) / (t1 - t0),
        "outside_network_fraction": statistics.mean(outside),
        "step_wait_fraction": statistics.mean(waiting),
        "updates_timed": len(events) - 1,
    }


def network_ceiling(n_actions: int, layout: dict, options: argparse.Namespace) -> dict:
    import numpy as np
    import torch

    from agents import ppo
    from scoregames.policies import build_network

    torch.set_num_threads(options.threads)
    torch.backends.cudnn.deterministic = options.torch_deterministic  # as the loop: cuDNN's choice of algorithms
    device = torch.device("cuda" if options.cuda else "cpu")
    agent = build_network("ppo", n_actions).to(device)
    optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
    args = ppo.Args()  # CleanRL's loss coefficients, as the loop's
    width = layout["num_envs"] // layout["env_groups"]
    batch = layout["num_envs"] * NUM_STEPS
    minibatch = batch // layout["num_minibatches"]
    obs = torch.randint(0, 256, (batch, 4, 84, 84), dtype=torch.uint8, device=device)
    actions = torch.randint(0, n_actions, (batch,), device=device)
    logprobs, advantages, returns, values = (torch.randn(batch, device=device) for _ in range(4))
    logprobs = -logprobs.abs()
    tensors = (obs, actions, logprobs, advantages, returns, values)

    def one_update() -> float:
        start = time.perf_counter()
        for begin in range(0, batch, width):
            ppo.act(agent, obs[begin : begin + width])  # the loop's own forward, results to the host
        indices = np.arange(batch)
        for _ in range(UPDATE_EPOCHS):
            np.random.shuffle(indices)
            for begin in range(0, batch, minibatch):
                mb = indices[begin : begin + minibatch]
                ppo.minibatch_update(agent, optimizer, args, *(tensor[mb] for tensor in tensors))
        if options.cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - start

    one_update()  # warm-up
    seconds = sorted(one_update() for _ in range(options.repeats))
    return {"ceiling_sps": batch / statistics.median(seconds), "seconds_per_update": statistics.median(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=8, help="PPO updates per env")
    parser.add_argument("--warmup", type=int, default=3, help="updates ignored at the start")
    parser.add_argument("--repeats", type=int, default=5, help="timed network-only updates (median)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (same everywhere)")
    parser.add_argument("--cuda", action="store_true", help="network on the GPU (agents run with --cuda)")
    parser.add_argument(
        "--torch-deterministic",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="cuDNN's deterministic algorithms in the loop and the ceiling alike (agents/ppo.py's default)",
    )
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--num-minibatches", type=int, default=4)
    parser.add_argument("--env-groups", type=int, default=1, help="agents/ppo.py --env-groups")
    parser.add_argument("--env-workers", type=int, default=0, help="agents/ppo.py --env-workers")
    parser.add_argument("--skip-ale", action="store_true", help="time our env and the ceiling only")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here (refuses to overwrite)")
    options = parser.parse_args()
    if options.warmup < 1 or options.updates < options.warmup + 1:
        parser.error(f"need --warmup >= 1 and --updates > --warmup, got {options.warmup} and {options.updates}")
    for flag in ("repeats", "threads", "num_envs", "num_minibatches"):
        if getattr(options, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(options, flag)}")
    if options.json is not None and (
        problem := json_path_problem(str(options.json))
    ):  # before minutes of runs, not after
        parser.error(problem)
    # Without a GPU ppo.py falls back to the CPU (its rows would be the CPU's), and the ceiling fails late.
    if options.cuda:
        import torch

        if not torch.cuda.is_available():
            parser.error("--cuda needs a CUDA GPU, and torch sees none on this machine (leave --cuda out for the CPU)")
    layout = {key: getattr(options, key) for key in ("num_envs", "num_minibatches", "env_groups", "env_workers")}

    with tempfile.TemporaryDirectory() as tmp:
        try:
            ours = train_sps("ScoreGames/Breakout-v0", layout, options, Path(tmp))
            ale = None if options.skip_ale else train_sps("ALE/Breakout-v5", layout, options, Path(tmp))
        except RuntimeError as error:
            sys.exit(f"train_sps.py: {error}")
    ceiling = network_ceiling(4, layout, options)

    print(
        f"| loop ({layout}, {NUM_STEPS} steps, {UPDATE_EPOCHS} epochs) | steady SPS | % of ceiling "
        "| outside the network | of which in step_wait |"
    )
    print("|---|---|---|---|---|")
    for row in [row for row in (ours, ale) if row is not None]:
        share = row["steady_sps"] / ceiling["ceiling_sps"]
        print(
            f"| ppo on {row['env_id']} | {row['steady_sps']:.0f} | {share:.0%} | {row['outside_network_fraction']:.1%} "
            f"| {row['step_wait_fraction']:.1%} |"
        )
    print(f"| network only (fwd + update), ceiling | {ceiling['ceiling_sps']:.0f} | 100% | 0% | 0% |")
    if options.json:
        result = {
            "device": "cuda" if options.cuda else "cpu",
            "torch_deterministic": options.torch_deterministic,
            "layout": layout,
            "ours": ours,
            "ale": ale,
            "ceiling": ceiling,
        }
        save_json_new(options.json, result)  # a file that appeared meanwhile is kept


if __name__ == "__main__":
    main()
