"""The known-answer check: every oracle on every game, verdict against the expected one.

    python -m scoregames.diagnostics.validate [--full] [--games Catch,Pong] [--oracles random]

Prints one JSON line per (game, oracle) and a Markdown confusion matrix (docs/diagnostics.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from scoregames.diagnostics.battery import BatteryConfig, run_battery
from scoregames.diagnostics.oracles import ORACLES, expected_verdict, make_oracle


def confusion_matrix(
    games: list[str] | None = None, oracles: list[str] | None = None, quick: bool = True, seed: int = 0
) -> list[dict[str, Any]]:
    """Run the battery on each (game, oracle); a policy that cannot be built is reported as n/a."""
    import scoregames  # noqa: F401  (registers the envs)
    from scoregames.games import GAMES
    from scoregames.registration import env_id as latest_id

    rows: list[dict[str, Any]] = []
    for game in games or list(GAMES):
        env_id = latest_id(game)
        for name in oracles or list(ORACLES):
            started = time.time()
            try:
                policy = make_oracle(name, env_id, seed=seed)
            except ValueError as error:
                rows.append({"game": game, "oracle": name, "verdict": "n/a", "note": str(error)})
                continue
            config = BatteryConfig.quick(seed=seed) if quick else BatteryConfig.full(seed=seed)
            report = run_battery(policy, env_id, config=config, policy_name=name, progress=False)
            expected = expected_verdict(name, game)
            rows.append(
                {
                    "game": game,
                    "oracle": name,
                    "verdict": report.verdict,
                    "expected": expected,
                    "ok": report.verdict == expected,
                    "seconds": round(time.time() - started, 1),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    games = list(dict.fromkeys(r["game"] for r in rows))
    oracles = list(dict.fromkeys(r["oracle"] for r in rows))
    cells = {(r["game"], r["oracle"]): r for r in rows}
    lines = ["| oracle (expected) | " + " | ".join(games) + " |", "|---|" + "---|" * len(games)]
    for name in oracles:
        row = [cells.get((g, name)) for g in games]
        out = ["n/a" if r is None or r["verdict"] == "n/a" else ("✓ " if r["ok"] else "✗ ") + r["verdict"] for r in row]
        lines.append(f"| `{name}` ({expected_verdict(name, games[0])}) | " + " | ".join(out) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoregames.diagnostics.validate", description=__doc__)
    parser.add_argument("--full", action="store_true", help="the full battery (default: --quick)")
    parser.add_argument("--games", help="comma-separated games (default: all)")
    parser.add_argument("--oracles", help="comma-separated oracles (default: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = confusion_matrix(
        args.games.split(",") if args.games else None,
        args.oracles.split(",") if args.oracles else None,
        quick=not args.full,
        seed=args.seed,
    )
    print(markdown(rows))
    return 0 if all(r.get("ok", True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
