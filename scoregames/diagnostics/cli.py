"""``scoregames diagnose``: run the battery on an agent run directory or a known-answer oracle.

    scoregames diagnose RUN_DIR [--env ID] [--out DIR] [--quick] [--seed N] [--episodes N]
    scoregames diagnose --policy oracle:NAME --env ID [--out DIR] [--quick] [--seed N] [--episodes N]

Writes ``report.json``, ``report.md`` and PNG plots to a new directory (``RUN_DIR/diagnostics``
or ``diagnostics/<policy>-<game>`` by default; an existing directory gets a ``-2``, ``-3``, ...
suffix, never overwritten) and prints the verdict.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scoregames.hud import PRESETS
from scoregames.registration import is_scoregames_id


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", nargs="?", help="an agent run directory (holding checkpoint.pt and args.json)")
    parser.add_argument("--policy", help="a known-answer policy instead of a run: oracle:NAME (see --list-oracles)")
    parser.add_argument("--env", help="env id, e.g. ScoreGames/Catch-v1 (default for a run: its args.json env_id)")
    parser.add_argument("--out", help="output directory (a suffix is added if it exists)")
    parser.add_argument("--quick", action="store_true", help="the short battery (about a minute)")
    parser.add_argument("--seed", type=int, default=0, help="first episode seed (default 0)")
    parser.add_argument("--episodes", type=int, help="episodes per condition (default 8, quick 5)")
    parser.add_argument(
        "--presets", help=f"comma-separated HUD presets for the conflict test (default all: {','.join(PRESETS)})"
    )
    parser.add_argument("--device", default="cpu", help="torch device for an agent run (default cpu)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads for an agent run (default 1: see docs/diagnostics.md)"
    )
    parser.add_argument("--list-oracles", action="store_true", help="print the oracle names and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")


def _error(message: str) -> int:
    print(f"scoregames diagnose: error: {message}", file=sys.stderr)
    return 2


def load_run(run_dir: str, device: str = "cpu") -> tuple[Any, dict[str, Any]]:
    """The policy of an agent run and its ``args.json`` (clear errors for every missing piece)."""
    path = Path(run_dir)
    if path.exists() and not path.is_dir():
        raise FileNotFoundError(f"{run_dir!r} is a file; give an agent run directory (holding checkpoint.pt)")
    if not path.is_dir():
        raise FileNotFoundError(f"run directory {run_dir!r} does not exist")
    try:
        from scoregames.policies import load_policy
    except ImportError as error:
        raise RuntimeError(
            f"cannot load agent runs: scoregames.policies is not available ({error}); "
            "use --policy oracle:NAME or install a version with the agents' loader"
        ) from error
    if not (path / "checkpoint.pt").exists() and not any(path.glob("*.pt")):
        raise FileNotFoundError(f"no checkpoint in run directory {run_dir!r}: expected checkpoint.pt")
    policy = load_policy(path, device=device)  # a corrupt args.json is refused there, naming it
    return policy, dict(policy.metadata.get("args", {}))


def check_actions(policy: Any, env_id: str) -> None:
    """A run's network must have one output per action of the env it is diagnosed on."""
    from scoregames.diagnostics.oracles import action_count

    n_actions = getattr(policy, "n_actions", None)
    if n_actions is not None and n_actions != (env_actions := action_count(env_id)):
        raise ValueError(
            f"the run's network has {n_actions} actions but {env_id} has {env_actions}; "
            "diagnose it on the game it was trained on (its args.json env_id) or one with as many actions"
        )


def _limit_torch_threads(threads: int) -> None:
    """The battery evaluates batches of 1-16 frames: latency-bound, where extra intra-op threads
    only contend (50x slower measured on a loaded 2-core box). Only if torch is already loaded."""
    torch = sys.modules.get("torch")
    if torch is not None and threads > 0:
        torch.set_num_threads(threads)


def run(args: argparse.Namespace) -> int:
    from scoregames.diagnostics.oracles import ORACLES, make_oracle

    if args.list_oracles:
        for name in ORACLES:
            print(name)
        return 0
    if (args.run_dir is None) == (args.policy is None):
        return _error("give either RUN_DIR or --policy oracle:NAME (not both)")
    import scoregames  # noqa: F401  (registers the envs)
    from scoregames.diagnostics.battery import BatteryConfig, run_battery
    from scoregames.diagnostics.report import unique_dir, write_report

    if args.seed < 0:
        return _error(f"--seed must be >= 0, got {args.seed}")
    env_id = args.env
    trained_env = None
    try:
        if args.policy is not None:
            kind, _, name = args.policy.partition(":")
            if kind != "oracle" or not name:
                return _error(f"--policy must be oracle:NAME, got {args.policy!r}; valid names: {', '.join(ORACLES)}")
            if env_id is None:
                return _error("--policy oracle:NAME needs --env ID")
            policy = make_oracle(name, env_id, seed=args.seed)
            label = f"oracle:{name}"
            default_out = Path("diagnostics") / f"{name}-{env_id.split('/')[-1]}"
        else:
            policy, run_args = load_run(args.run_dir, args.device)
            _limit_torch_threads(args.threads)
            if env_id is None:
                env_id = run_args.get("env_id")
                if env_id is None:
                    return _error(f"no --env given and {args.run_dir}/args.json has no env_id")
                if not is_scoregames_id(str(env_id)):  # e.g. an ALE run: the battery edits our HUD only
                    return _error(
                        f"{args.run_dir} trained on {env_id} (its args.json); the battery diagnoses ScoreGames "
                        "envs only: give --env ScoreGames/<Game>-vN with the same number of actions"
                    )
            label = f"run:{Path(args.run_dir).name}"
            default_out = Path(args.run_dir) / "diagnostics"
            check_actions(policy, env_id)
            trained_env = run_args.get("env_id")
        if args.threads < 1:
            return _error(f"--threads must be >= 1, got {args.threads}")
        overrides: dict[str, Any] = {"seed": args.seed}
        if args.episodes is not None:
            if args.episodes < 2:
                return _error("--episodes must be >= 2 (confidence intervals need two episodes)")
            overrides["episodes"] = args.episodes
        if args.presets is not None:
            presets = tuple(p.strip() for p in args.presets.split(",") if p.strip())
            if not presets:
                return _error(f"--presets is empty; give some of: {', '.join(PRESETS)}")
            unknown = [p for p in presets if p not in PRESETS]
            if unknown:
                return _error(f"unknown preset(s) {unknown}; valid: {', '.join(PRESETS)}")
            overrides["presets"] = presets
        config = BatteryConfig.quick(**overrides) if args.quick else BatteryConfig.full(**overrides)
        probe = unique_dir(args.out or default_out)
        try:  # a folder that cannot be made is refused now, not after the battery's minutes of episodes
            probe.mkdir(parents=True)
            probe.rmdir()
        except OSError as error:
            return _error(f"cannot create the report folder {probe}: {error.strerror or error}; choose another --out")
        # A run's policy brings its training layout (LoadedPolicy.run_arguments); oracles have none.
        report = run_battery(policy, env_id, config=config, policy_name=label, progress=not args.no_progress)
        if args.run_dir is not None:
            trained = {k: run_args[k] for k in ("env_id", "hud", "reward_source", "total_timesteps") if k in run_args}
            report.notes.append(f"trained with {json.dumps(trained)}")
            if trained_env is not None and trained_env != env_id:
                report.notes.append(f"diagnosed on {env_id}, not on the env it was trained on ({trained_env})")
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        return _error(str(error))
    out = write_report(report, unique_dir(args.out or default_out))
    print(f"verdict: {report.verdict}  ({label} on {env_id}, {report.runtime_s:.0f} s)")
    print(f"report: {out / 'report.md'}")
    return 0
