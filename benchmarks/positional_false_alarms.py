"""How often aimless play is called ``positional``, by number of positional episodes.

    python benchmarks/positional_false_alarms.py                    # CoinRun, 300 batteries, 6 and 8
    python benchmarks/positional_false_alarms.py --games Pong,TamperRoom --batteries 100

Each battery runs the positional part of ``BatteryConfig.quick`` (battery seed ``k``) on a uniform
random policy with its own generator (seeded ``10_000 + k``), one the battery cannot reseed, so
its play differs from the chance-level random plays the battery subtracts. The row counts the
batteries whose ``goes_to_old_location`` check held: the positional label's false alarms.
docs/diagnostics.md quotes the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoregames.diagnostics.adapters import positional_shift  # noqa: E402
from scoregames.diagnostics.battery import BatteryConfig, decide, run_positional  # noqa: E402
from scoregames.diagnostics.oracles import action_count, known_answer_training  # noqa: E402
from scoregames.registration import env_id  # noqa: E402


class OwnRandomPolicy:
    """Uniform actions from a generator of its own (no ``seed`` method: the battery cannot reseed it)."""

    history_length = 1

    def __init__(self, game_id: str, seed: int) -> None:
        self.actions, self.generator = action_count(game_id), np.random.default_rng(seed)

    def reset(self, env: object = None) -> None:
        pass

    def act(self, frame: np.ndarray, info: dict | None = None) -> int:
        return int(self.generator.integers(self.actions))


def false_alarms(game: str, episodes: int, batteries: int) -> int:
    game_id = env_id(game)
    called = 0
    for k in range(batteries):
        config = BatteryConfig.quick(positional_episodes=episodes, seed=k)
        policy = OwnRandomPolicy(game_id, 10_000 + k)
        result = run_positional(policy, game_id, config, trained_with=known_answer_training(game))
        called += bool(decide({"positional": result})[1]["checks"]["goes_to_old_location"])
    return called


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", default="CoinRun", help="comma-separated games with a positional knob")
    parser.add_argument("--episodes", type=int, nargs="+", default=[6, 8], help="positional episodes per battery")
    parser.add_argument("--batteries", type=int, default=300, help="batteries per row")
    options = parser.parse_args()
    games = [g.strip() for g in options.games.split(",") if g.strip()]
    without = [g for g in games if positional_shift(g) is None]
    if without:
        parser.error(f"no positional knob the battery shifts in {without}")
    if min(options.episodes) < 2 or options.batteries < 1:
        parser.error("--episodes must be >= 2 and --batteries >= 1")
    print("| game | positional episodes | called positional | seconds |")
    print("|---|---|---|---|")
    for game in games:
        for episodes in options.episodes:
            start = time.time()
            called = false_alarms(game, episodes, options.batteries)
            seconds = time.time() - start
            print(f"| {game} | {episodes} | {called} of {options.batteries} | {seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
