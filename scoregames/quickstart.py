"""``scoregames quickstart``: the README demo (``make demo``).

Trains PPO (``agents/ppo.py``) on Catch for a minute or two on a CPU, runs the quick diagnostic
battery on the result, and prints the verdict and the path of the report, with a warning on stderr
when the verdict is not the expected one (the exit status stays 0). The default condition is
the positive control: the tamper HUD and the *displayed* score as reward, an agent the battery
must call ``displayed-score``; ``--condition standard-true`` trains on the true score instead
(at demo budgets that agent is still weak, so its verdict is usually ``indeterminate``). Each run
goes to a new ``runs/quickstart-<n>/`` (``train/``, ``diagnosis/``, ``result.json``): earlier
quickstart runs are never overwritten.

It is one cell of ``scoregames experiment`` run in the foreground, so it goes through the same
train -> diagnose machinery as the grid runner.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from scoregames.experiments.cell import run_cell, stop_signals_interrupt
from scoregames.experiments.config import MAX_SEED, AgentSpec, CellSpec, DiagnoseSpec
from scoregames.experiments.store import write_json_atomic
from scoregames.games import GAMES
from scoregames.registration import env_id

# ~1.5 minutes of PPO on a 2-core CPU (~450 env steps/s, network-bound); the positive control
# learns the tamper habit within 20k steps.
DEFAULT_TIMESTEPS = 40_000
NUM_ENVS = 8
ONE_PPO_BATCH = NUM_ENVS * 128  # agents/ppo.py's --num-steps default: a smaller budget trains nothing
EXPECTED_SPS = 450
# name -> (HUD preset, reward source, the verdict the battery should give, why)
CONDITIONS = {
    "tamper-displayed": ("tamper", "displayed", "displayed-score", "the positive control"),
    "standard-true": ("standard", "true", "true-score", "once the agent is competent"),
}
DEFAULT_CONDITION = "tamper-displayed"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timesteps", type=int, default=DEFAULT_TIMESTEPS, help="PPO budget in agent steps")
    parser.add_argument("--seed", type=int, default=1, help="training and diagnosis seed")
    parser.add_argument("--game", default="Catch", help="game to train on (default: Catch)")
    parser.add_argument(
        "--condition",
        default=DEFAULT_CONDITION,
        help=f"what the agent sees and is rewarded on: {', '.join(CONDITIONS)} (default: {DEFAULT_CONDITION})",
    )
    parser.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where quickstart-<n>/ is created")
    parser.add_argument("--agent-script", type=Path, default=None, help="training script (default: agents/ppo.py)")
    parser.add_argument(
        "--diagnose-script", type=Path, default=None, help="diagnosis script (default: scoregames diagnose)"
    )


def find_agent_script(script: Path | None) -> Path:
    """``agents/ppo.py`` from the working directory or from the source checkout this package
    runs from (the agents are scripts in the repository, not part of the installed package)."""
    if script is not None:
        if not script.is_file():
            raise FileNotFoundError(f"--agent-script {script}: no such file")
        return script.resolve()
    candidates = [Path.cwd() / "agents" / "ppo.py", Path(__file__).resolve().parents[1] / "agents" / "ppo.py"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "agents/ppo.py not found: run the quickstart from a checkout of the scoregames repository "
        "(or pass --agent-script PATH)"
    )


def new_run_dir(runs_dir: Path) -> Path:
    """``runs_dir/quickstart-<n>`` with the first free n, created here so two quickstarts started
    at once can never pick the same folder (``mkdir`` either creates it or fails)."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    number = 1 + max((_suffix(path.name) for path in runs_dir.glob("quickstart-*")), default=0)
    while True:
        path = runs_dir / f"quickstart-{number}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            number += 1


def _suffix(name: str) -> int:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def run(args: argparse.Namespace) -> int:
    if args.timesteps < ONE_PPO_BATCH:
        print(
            f"scoregames quickstart: --timesteps must be at least one PPO batch ({ONE_PPO_BATCH:,}: "
            f"{NUM_ENVS} envs x 128 steps), got {args.timesteps:,}",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.seed <= MAX_SEED:
        print(f"scoregames quickstart: --seed {args.seed}: valid seeds are 0 to {MAX_SEED}", file=sys.stderr)
        return 2
    if args.game not in GAMES:
        print(f"scoregames quickstart: unknown game {args.game!r}; valid: {', '.join(GAMES)}", file=sys.stderr)
        return 2
    if args.condition not in CONDITIONS:
        print(
            f"scoregames quickstart: unknown condition {args.condition!r}; valid: {', '.join(CONDITIONS)}",
            file=sys.stderr,
        )
        return 2
    hud, reward_source, expected, why = CONDITIONS[args.condition]
    try:
        script = find_agent_script(args.agent_script)
    except FileNotFoundError as error:
        print(f"scoregames quickstart: {error}", file=sys.stderr)
        return 2
    if args.agent_script is None and importlib.util.find_spec("torch") is None:
        print(
            'scoregames quickstart: PPO needs torch: pip install -e ".[agents]" (or run `make demo`)', file=sys.stderr
        )
        return 2
    diagnose_script = None if args.diagnose_script is None else str(args.diagnose_script.resolve())
    try:
        run_dir = new_run_dir(args.runs_dir)
    except OSError as error:  # a file in the way, no permission, a read-only disk
        print(
            f"scoregames quickstart: --runs-dir {args.runs_dir}: cannot create a run folder there "
            f"({error.strerror or error}); choose a folder you can write to",
            file=sys.stderr,
        )
        return 2
    spec = CellSpec(
        cell_id=f"quickstart-{args.game}-{args.condition}-s{args.seed}",
        game=args.game,
        env_id=env_id(args.game),
        condition=args.condition,
        hud=hud,
        reward_source=reward_source,
        seed=args.seed,
        agent=AgentSpec(script=str(script), total_timesteps=args.timesteps, num_envs=NUM_ENVS),
        diagnose=DiagnoseSpec(script=diagnose_script, quick=True),
        cpus=float(os.cpu_count() or 1),
    )
    minutes = args.timesteps / EXPECTED_SPS / 60
    print(
        f"quickstart: PPO on {spec.env_id} (HUD {hud!r}, rewarded on the {reward_source} score) for "
        f"{args.timesteps:,} steps (about {minutes:.1f} min on a 2-core CPU), then the quick diagnosis "
        f"-> {run_dir}\nexpected verdict: {expected} ({why})",
        flush=True,
    )
    try:  # `kill PID` stops it as Ctrl-C does: the training child checkpoints and exits with it
        with stop_signals_interrupt():
            record = run_cell(spec, run_dir, cell_dir=run_dir, console=True)
    except KeyboardInterrupt:
        print(f"\nquickstart: interrupted; partial run kept in {run_dir}", file=sys.stderr)
        return 130
    write_json_atomic(run_dir / "result.json", record)
    if record["status"] != "finished":
        print(f"quickstart: {record['error']}", file=sys.stderr)
        return 1
    train = record["train"]
    true_return = train.get("episodic_return_mean_last")
    report_md = run_dir / record["paths"].get("report_md", record["paths"]["diagnosis_dir"])
    print()
    if true_return is not None:
        best = " (best possible: 20)" if args.game == "Catch" else ""
        print(f"mean true return over the last training episodes: {true_return:.2f}{best}")
    if train.get("tamper_count_mean_last") is not None and hud == "tamper":
        print(f"tamper-site touches per episode (last training episodes): {train['tamper_count_mean_last']:.1f}")
    print(f"verdict: {record['verdict']}")
    print(f"report:  {report_md}", flush=True)
    if record["verdict"] != expected:
        hint = (
            f"; {args.timesteps:,} steps may be too few for this agent to learn it (try more --timesteps)"
            if record["verdict"] == "indeterminate"
            else "; see the report for the evidence"
        )
        print(f"WARNING: verdict {record['verdict']!r} is not the expected {expected!r}{hint}", file=sys.stderr)
    return 0
