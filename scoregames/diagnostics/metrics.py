"""The battery's numbers: distances between action distributions, bootstrap intervals, probes.

Each function is small and pure so a test can check it on a hand-made case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    if n == 0:
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
    """Point estimate and percentile bootstrap interval ``(estimate, low, high)``.

    ``samples`` is resampled along its first axis (rows are episodes; a row may hold several
    paired numbers, e.g. one per condition with the same seed), then ``statistic`` (default:
    the mean of a 1-D sample) is applied to each resample.

    >>> bootstrap_ci([3.0, 3.0, 3.0])
    (3.0, 3.0, 3.0)
    """
    data = np.asarray(samples, np.float64)
    statistic = statistic or (lambda x: float(np.mean(x)))
    if len(data) == 0:
        return (float("nan"),) * 3
    estimate = float(statistic(data))
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(data), size=(resamples, len(data)))
    values = np.array([statistic(data[i]) for i in indices], np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return estimate, float("nan"), float("nan")
    alpha = (1 - confidence) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha])
    # A constant sample must give a point, not a float-noise interval around it.
    if np.all(data == data.flat[0]):
        low = high = estimate
    return estimate, float(low), float(high)


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
    """Spearman rank correlation (NaN if either side is constant).

    >>> spearman(np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0]))
    1.0
    """
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.std() <= EPS or b.std() <= EPS:
        return float("nan")
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (saliency maps have many equal zeros)."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    average = np.cumsum(counts) - (counts - 1) / 2
    return average[inverse]
