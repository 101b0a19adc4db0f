"""How often the diagnostics' 95% bootstrap intervals cover the true mean, by number of episodes.

    python benchmarks/ci_coverage.py                  # 1000 samples per row, 1000 resamples each

Draws samples of ``n`` episodes from a normal distribution and from a Bernoulli(0.2) one (a
skewed, mostly-zero quantity like a touch count), and counts how often the interval holds the
true mean: the plain percentile interval beside :func:`scoregames.diagnostics.metrics.bootstrap_ci`
(the expanded percentile interval the battery uses). docs/diagnostics.md quotes the table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoregames.diagnostics.metrics import bootstrap_ci  # noqa: E402

DISTRIBUTIONS = {
    "normal": (lambda rng, n: rng.normal(0.0, 1.0, n), 0.0),
    "Bernoulli(0.2)": (lambda rng, n: (rng.random(n) < 0.2).astype(float), 0.2),
}


def plain_percentile(sample: np.ndarray, resamples: int, seed: int) -> tuple[float, float]:
    if np.all(sample == sample[0]):
        return float(sample[0]), float(sample[0])
    indices = np.random.default_rng(seed).integers(0, len(sample), (resamples, len(sample)))
    low, high = np.quantile(sample[indices].mean(axis=1), [0.025, 0.975])
    return float(low), float(high)


def coverage(n: int, trials: int, resamples: int, seed: int) -> dict[str, tuple[float, float]]:
    rng = np.random.default_rng(seed)
    rows = {}
    for name, (draw, truth) in DISTRIBUTIONS.items():
        plain = expanded = 0
        for trial in range(trials):
            sample = draw(rng, n)
            low, high = plain_percentile(sample, resamples, trial)
            plain += low <= truth <= high
            _, low, high = bootstrap_ci(sample, resamples=resamples, seed=trial)
            expanded += low <= truth <= high
        rows[name] = (plain / trials, expanded / trials)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, nargs="+", default=[3, 5, 8, 16])
    parser.add_argument("--trials", type=int, default=1000, help="samples per row")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples per interval")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    if min(options.episodes) < 2 or options.trials < 1 or options.resamples < 1:
        parser.error("--episodes must be >= 2, --trials and --resamples >= 1")
    print("| episodes | " + " | ".join(f"{name}: plain -> expanded" for name in DISTRIBUTIONS) + " |")
    print("|---|" + "---|" * len(DISTRIBUTIONS))
    for n in options.episodes:
        rows = coverage(n, options.trials, options.resamples, options.seed + n)
        cells = [f"{plain:.0%} -> {expanded:.0%}" for plain, expanded in rows.values()]
        print(f"| {n} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
