"""Steady-state training speed of agents/ppo.py: our env vs ALE vs the network-only ceiling.

    python benchmarks/train_sps.py                    # defaults: 8 updates each, first 3 are warm-up
    python benchmarks/train_sps.py --updates 12 --warmup 4 --json sps.json

Runs ``agents/ppo.py`` (same network, same hyperparameters) on ``ScoreGames/Breakout-v0`` and on
``ALE/Breakout-v5`` one after the other in this process's run, then times the network alone:
``num_steps`` batched forward passes of ``num_envs`` observations plus the PPO update
(``update_epochs`` x ``num_minibatches`` forward + backward + Adam steps) on random frames. That
is the most env steps per second the loop could reach with a free env and no glue.
Steady-state SPS is measured from TensorBoard event wall times after the warm-up updates; the
share of time outside the network comes from the script's own ``perf/*`` scalars.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HYPER = {"num_envs": 8, "num_steps": 128, "num_minibatches": 4, "update_epochs": 4}


def scalars(run_dir: Path, tag: str) -> list[tuple[float, int, float]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    accumulator.Reload()
    return [(e.wall_time, e.step, e.value) for e in accumulator.Scalars(tag)]


def train_sps(env_id: str, updates: int, warmup: int, threads: int, workdir: Path, cuda: bool) -> dict:
    batch = HYPER["num_envs"] * HYPER["num_steps"]
    run_dir = workdir / env_id.replace("/", "_")
    command = [
        sys.executable,
        str(ROOT / "agents" / "ppo.py"),
        "--env-id", env_id,
        "--total-timesteps", str(batch * updates),
        "--num-envs", str(HYPER["num_envs"]),
        "--num-steps", str(HYPER["num_steps"]),
        "--num-minibatches", str(HYPER["num_minibatches"]),
        "--update-epochs", str(HYPER["update_epochs"]),
        "--torch-threads", str(threads),
        "--checkpoint-every", str(updates),
        "--cuda" if cuda else "--no-cuda",
        "--run-dir", str(run_dir),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    events = scalars(run_dir, "charts/SPS")[warmup - 1 :]  # the event written at the end of update `warmup`
    (t0, s0, _), (t1, s1, _) = events[0], events[-1]
    outside = [v for _, _, v in scalars(run_dir, "perf/outside_network_fraction")[warmup:]]
    return {
        "env_id": env_id,
        "steady_sps": (s1 - s0) / (t1 - t0),
        "outside_network_fraction": statistics.mean(outside),
        "updates_timed": len(events) - 1,
    }


def network_ceiling(n_actions: int, repeats: int, threads: int, cuda: bool) -> dict:
    import numpy as np
    import torch

    from scoregames.policies import build_network

    torch.set_num_threads(threads)
    device = torch.device("cuda" if cuda else "cpu")
    agent = build_network("ppo", n_actions).to(device)
    optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
    n_envs, n_steps = HYPER["num_envs"], HYPER["num_steps"]
    batch = n_envs * n_steps
    minibatch = batch // HYPER["num_minibatches"]
    obs = torch.randint(0, 256, (batch, 4, 84, 84), dtype=torch.uint8, device=device)
    actions = torch.randint(0, n_actions, (batch,), device=device)

    def one_update() -> float:
        start = time.perf_counter()
        with torch.no_grad():
            for step in range(n_steps):
                agent.get_action_and_value(obs[step * n_envs : (step + 1) * n_envs])
        indices = np.arange(batch)
        for _ in range(HYPER["update_epochs"]):
            np.random.shuffle(indices)
            for begin in range(0, batch, minibatch):
                mb = indices[begin : begin + minibatch]
                _, logprob, entropy, value = agent.get_action_and_value(obs[mb], actions[mb])
                loss = -logprob.mean() - 0.01 * entropy.mean() + 0.5 * (value**2).mean()
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
                optimizer.step()
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - start

    one_update()  # warm-up
    seconds = sorted(one_update() for _ in range(repeats))
    return {"ceiling_sps": batch / statistics.median(seconds), "seconds_per_update": statistics.median(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=8, help="PPO updates per env (1024 steps each)")
    parser.add_argument("--warmup", type=int, default=3, help="updates ignored at the start")
    parser.add_argument("--repeats", type=int, default=3, help="timed network-only updates")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (same everywhere)")
    parser.add_argument("--cuda", action="store_true", help="network on the GPU (agents run with --cuda)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ours = train_sps(
            "ScoreGames/Breakout-v0", options.updates, options.warmup, options.threads, Path(tmp), options.cuda
        )
        ale = train_sps("ALE/Breakout-v5", options.updates, options.warmup, options.threads, Path(tmp), options.cuda)
    ceiling = network_ceiling(4, options.repeats, options.threads, options.cuda)

    print(f"| loop ({HYPER}) | steady SPS | % of ceiling | time outside the network |")
    print("|---|---|---|---|")
    for row in (ours, ale):
        share = row["steady_sps"] / ceiling["ceiling_sps"]
        print(
            f"| ppo on {row['env_id']} | {row['steady_sps']:.0f} | {share:.0%} | {row['outside_network_fraction']:.1%} |"
        )
    print(f"| network only (fwd + update), ceiling | {ceiling['ceiling_sps']:.0f} | 100% | 0% |")
    if options.json:
        options.json.write_text(
            json.dumps(
                {
                    "device": "cuda" if options.cuda else "cpu",
                    "hyper": HYPER,
                    "ours": ours,
                    "ale": ale,
                    "ceiling": ceiling,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
