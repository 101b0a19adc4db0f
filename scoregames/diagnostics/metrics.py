"""The battery's numbers: distances between action distributions, bootstrap intervals, probes.

Each function is small and pure so a test can check it on a hand-made case.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist

import numpy as np

EPS = 1e-8


def kl_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise KL(p || q) in nats; ``q`` is floored at ``EPS`` so one-hot rows stay finite.

    >>> float(kl_divergence(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]]))[0])
    0.0
    """
    p = np.asarray(p, np.float64)
    # Floor without renormalising: identical rows then give exactly 0.
    q = np.maximum(np.asarray(q, np.float64), EPS)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(np.maximum(p, EPS)) - np.log(q)), 0.0)
    return np.maximum(terms.sum(axis=-1), 0.0)


def total_variation(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-wise total-variation distance, in [0, 1].

    >>> total_variation(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])).tolist()
    [1.0]
    """
    return 0.5 * np.abs(np.asarray(p, np.float64) - np.asarray(q, np.float64)).sum(axis=-1)


def flip_rate(p: np.ndarray, q: np.ndarray) -> float:
    """Share of rows whose most probable action differs.

    >>> flip_rate(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.6, 0.4], [0.7, 0.3]]))
    0.5
    """
    return float(np.mean(np.argmax(p, axis=-1) != np.argmax(q, axis=-1))) if len(p) else float("nan")


def iqm(values: Sequence[float] | np.ndarray) -> float:
    """Interquartile mean: the mean of the middle 50% (Agarwal et al., 2021).

    >>> iqm([0, 1, 2, 3, 4, 5, 6, 100])
    3.5
    """
    x = np.sort(np.asarray(values, np.float64))
    n = len(x)
    if n == 0 or not np.isfinite(x).all():  # a missing value is not silently dropped
        return float("nan")
    if n < 4:
        return float(x.mean())
    return float(x[n // 4 : n - n // 4].mean())


def bootstrap_ci(
    samples: np.ndarray | Sequence[float] | Sequence[Sequence[float]],
    statistic: Callable[[np.ndarray], float] | None = None,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Point estimate and expanded percentile bootstrap interval ``(estimate, low, high)``.

    ``samples`` is resampled along its first axis (rows are episodes; a row may hold several
    paired numbers, e.g. one per condition with the same seed), then ``statistic`` (default:
    the mean of a 1-D sample) is applied to each resample. The plain percentile interval is too
    narrow for a handful of episodes (on normal data it covers a mean 82% of the time at n = 5,
    89% at n = 8, instead of 95%), so its tails are read further out, where a t interval would
    put them (Hesterberg's expanded percentile interval, :func:`expanded_tail`: 90% and 95%;
    ``benchmarks/ci_coverage.py``).

    A non-finite estimate (say, a ratio whose denominator is 0) gives a NaN interval, and so do a
    single sample (an interval needs two episodes) and a statistic that is non-finite on more
    than a tail's share of the resamples: an interval made only of the resamples that happened to
    work would look sure of a number that does not exist.

    >>> bootstrap_ci([3.0, 3.0, 3.0])
    (3.0, 3.0, 3.0)
    >>> bootstrap_ci([1.0, float("nan"), 2.0])
    (nan, nan, nan)
    >>> bootstrap_ci([0.75])
    (0.75, nan, nan)
    """
    data = np.asarray(samples, np.float64)
    statistic = statistic or (lambda x: float(np.mean(x)))
    if len(data) == 0:
        return (float("nan"),) * 3
    estimate = float(statistic(data))
    if not np.isfinite(estimate) or len(data) < 2:  # one episode has no spread to resample
        return estimate, float("nan"), float("nan")
    # A constant sample must give a point, not a float-noise interval around it.
    if np.all(data == data.flat[0]):
        return estimate, estimate, estimate
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(data), size=(resamples, len(data)))
    values = np.array([statistic(data[i]) for i in indices], np.float64)
    tail = expanded_tail((1 - confidence) / 2, len(data))
    finite = values[np.isfinite(values)]
    if resamples - finite.size > (1 - confidence) / 2 * resamples:
        return estimate, float("nan"), float("nan")
    low, high = np.quantile(finite, [tail, 1 - tail])
    return estimate, float(low), float(high)


def expanded_tail(tail: float, n: int) -> float:
    """The tail share to read off the bootstrap distribution for a sample of ``n``.

    ``Phi(-sqrt(n / (n - 1)) * t[1 - tail, n - 1])`` (Hesterberg, 2015): this widens the
    percentile interval of a mean to about a t interval's width, correcting both the bootstrap's
    ``1/n`` variance and the normal quantile's optimism at small ``n``; it changes little from
    some 30 samples on.

    >>> round(expanded_tail(0.025, 8), 4), round(expanded_tail(0.025, 1000), 4)
    (0.0057, 0.0248)
    """
    if n < 2:
        return tail
    return NormalDist().cdf(-math.sqrt(n / (n - 1)) * student_t_quantile(1 - tail, n - 1))


def student_t_quantile(p: float, df: int) -> float:
    """Quantile of Student's t with ``df`` degrees of freedom (numpy only: bisection on its CDF).

    >>> round(student_t_quantile(0.975, 2), 3), round(student_t_quantile(0.975, 30), 3)
    (4.303, 2.042)
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if p < 0.5:
        return -student_t_quantile(1 - p, df)
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def cdf(x: float) -> float:  # Simpson's rule on the density from 0 to x, plus the lower half
        grid = np.linspace(0.0, x, 2001)
        density = np.exp(log_norm - (df + 1) / 2 * np.log1p(grid**2 / df))
        weights = np.ones_like(grid)
        weights[1:-1:2], weights[2:-1:2] = 4, 2
        return 0.5 + float(weights @ density) * (x / 2000) / 3

    low, high = 0.0, 1.0
    while cdf(high) < p:
        low, high = high, 2 * high
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if cdf(middle) < p else (low, middle)
    return (low + high) / 2


def ridge_fit(features: np.ndarray, targets: np.ndarray, strength: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form ridge regression on centred features; returns ``(weights, stats)``.

    ``stats`` holds the feature means and scales (row 0, 1) and the target mean (row 2, col 0)
    so :func:`ridge_predict` applies the same standardisation.
    """
    x = np.asarray(features, np.float64)
    y = np.asarray(targets, np.float64)
    # Centre only: dividing by tiny per-feature SDs (a unit almost constant in training data)
    # blows up held-out predictions. The penalty scales with the features' total variance.
    mean, scale = x.mean(0), np.ones(x.shape[1])
    z = x - mean
    gram = z.T @ z
    penalty = strength * max(float(np.trace(gram)) / max(z.shape[1], 1), EPS)
    weights = np.linalg.solve(gram + penalty * np.eye(z.shape[1]), z.T @ (y - y.mean()))
    stats = np.zeros((3, x.shape[1]))
    stats[0], stats[1], stats[2, 0] = mean, scale, y.mean()
    return weights, stats


def ridge_predict(features: np.ndarray, weights: np.ndarray, stats: np.ndarray) -> np.ndarray:
    z = (np.asarray(features, np.float64) - stats[0]) / stats[1]
    return z @ weights + stats[2, 0]


def r_squared(targets: np.ndarray, predictions: np.ndarray) -> float:
    """Coefficient of determination (can be negative on held-out data); NaN if targets are constant.

    >>> r_squared(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    1.0
    """
    y = np.asarray(targets, np.float64)
    total = float(((y - y.mean()) ** 2).sum())
    if total <= EPS:
        return float("nan")
    return 1.0 - float(((y - np.asarray(predictions)) ** 2).sum()) / total


RIDGE_STRENGTHS = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def probe_r2(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    strength: float | None = None,
) -> float:
    """Held-out R² of a linear (ridge) probe.

    ``strength=None`` picks the ridge strength from ``RIDGE_STRENGTHS`` on a split of the
    training data (first half fits, second half validates), then refits on all of it: 512
    features on a few hundred samples need more shrinkage than 10 hand-made ones.

    >>> x = np.arange(20.0)[:, None]
    >>> round(probe_r2(x[:10], 2 * x[:10, 0], x[10:], 2 * x[10:, 0], strength=0.0), 6)
    1.0
    """
    if len(train_x) < 2 or len(test_x) < 2:
        return float("nan")
    if strength is None:
        half = len(train_x) // 2
        scores = []
        for candidate in RIDGE_STRENGTHS:
            weights, stats = ridge_fit(train_x[:half], train_y[:half], candidate)
            predicted = ridge_predict(train_x[half:], weights, stats)
            scores.append(float(np.mean((train_y[half:] - predicted) ** 2)))
        strength = RIDGE_STRENGTHS[int(np.argmin(scores))]
    weights, stats = ridge_fit(train_x, train_y, strength)
    return r_squared(test_y, ridge_predict(test_x, weights, stats))


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (NaN if either side is constant or holds a NaN).

    >>> spearman(np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0]))
    1.0
    """
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if not (np.isfinite(a).all() and np.isfinite(b).all()) or a.std() <= EPS or b.std() <= EPS:
        return float("nan")
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (saliency maps have many equal zeros)."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    average = np.cumsum(counts) - (counts - 1) / 2
    return average[inverse]
