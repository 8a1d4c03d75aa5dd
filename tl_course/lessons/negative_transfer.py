"""Taught in 11_negative_transfer: when a source model hurts, and scoring source models before fine-tuning.

*Negative transfer* (Wang et al., CVPR 2019) is a source that makes the target worse than
training without it; `negative_transfer_gap` measures it over paired seeds, with a 95% interval.
*Transferability scores* rank candidate source models from one forward pass over the target
data, with no training: LogME (You et al., ICML 2021) from their features; `spearman` checks a
score's ranking against the accuracies the candidates reach. (LEEP and H-score are the lesson's
exercises.) The lesson's target task, "where is the flower?", is made by `paste_in_quadrants`;
`grid_pool` pools a backbone's feature map on a coarser or finer grid.
"""

import dataclasses

import numpy as np
from scipy import stats

from tl_course.core import evaluation

__all__ = ["Gap", "grid_pool", "logme", "logme_evidence", "negative_transfer_gap", "paste_in_quadrants", "spearman"]

_TOLERANCE = 1e-3  # LogME stops when alpha and beta both move by less than this, relatively
_MAX_ITERATIONS = 100
_TINY = 1e-12  # keeps a zero residual or posterior mean from dividing by zero


def _paired(a, b, least, unit):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 1 or a.shape != b.shape or len(a) < least:
        raise ValueError(f"Expected two equal-length 1-D arrays of at least {least} {unit}; received shapes "
                         f"{a.shape} and {b.shape}.")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError(f"Expected finite {unit}' values; received NaN or infinity.")
    return a, b


def _features(features, n_labels=None):
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or features.shape[0] < 2 or features.shape[1] < 1:
        raise ValueError(f"Expected features of shape (n >= 2, dim >= 1); received shape {features.shape}.")
    if not np.all(np.isfinite(features)):
        raise ValueError("Expected finite features; received NaN or infinity.")
    if n_labels is not None and n_labels != len(features):
        raise ValueError(f"Expected one label per example; received {len(features)} examples and {n_labels} labels.")
    return features


def _labels(labels):
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"Expected labels as a 1-D integer array; received shape {labels.shape}, "
                         f"dtype {labels.dtype}.")
    if len(np.unique(labels)) < 2 or labels.min() < 0:
        raise ValueError(f"Expected labels 0..C-1 of at least 2 classes; received {np.unique(labels).tolist()}.")
    return labels


def _evidence(u, s, dim, y):
    """LogME's Algorithm 1 on the SVD `F = u diag(s) v^T`: return `(evidence / n, alpha, beta)`."""
    n = len(y)
    sigma = s**2  # the nonzero eigenvalues of F^T F; the other dim - len(s) are 0
    z = u.T @ y  # y in the basis of F's left singular vectors
    outside = max(float(y @ y - z @ z), 0.0)  # the part of ||y||^2 no F m can reach

    def posterior(alpha, beta):
        shrink = alpha + beta * sigma
        mean_sq = float(np.sum((beta * s * z / shrink) ** 2))  # m^T m, m = beta A^-1 F^T y
        residual = float(np.sum((alpha * z / shrink) ** 2)) + outside  # ||F m - y||^2
        gamma = float(np.sum(beta * sigma / shrink))
        return mean_sq, residual, gamma, shrink

    alpha, beta = 1.0, 1.0
    for _ in range(_MAX_ITERATIONS):
        mean_sq, residual, gamma, _ = posterior(alpha, beta)
        new_alpha, new_beta = gamma / max(mean_sq, _TINY), (n - gamma) / max(residual, _TINY)
        done = abs(new_alpha - alpha) <= _TOLERANCE * alpha and abs(new_beta - beta) <= _TOLERANCE * beta
        alpha, beta = new_alpha, new_beta
        if done:
            break
    mean_sq, residual, _, shrink = posterior(alpha, beta)
    log_det = np.sum(np.log(shrink)) + (dim - len(s)) * np.log(alpha)  # log |alpha I + beta F^T F|
    evidence = (n / 2 * np.log(beta) + dim / 2 * np.log(alpha) - n / 2 * np.log(2 * np.pi)
                - beta / 2 * residual - alpha / 2 * mean_sq - log_det / 2)
    return float(evidence / n), float(alpha), float(beta)


def logme_evidence(features, target):
    """Maximise the evidence of a Bayesian linear regression of `target` on `features` (LogME's inner step).

    The model is `target = features @ w + N(0, 1 / beta)` with prior `w ~ N(0, I / alpha)`; `alpha`
    and `beta` start at 1 and follow You et al.'s fixed-point iteration until both move by less
    than 0.1% (at most 100 steps). Where the features explain nothing of the target the maximum is
    at `alpha = inf` (`w = 0`): `alpha` comes back large and the evidence close to that limit's.

    Args:
        features: `float (n, dim)`, e.g. a frozen backbone's embeddings; `n < dim` is fine.
        target: `float (n,)`, e.g. 0/1 for "is this example of class k".

    Returns:
        `(evidence, alpha, beta)`: the maximised log evidence divided by `n`, and the prior and
        noise precisions at the maximum.

    Raises:
        ValueError: `features` not 2-D with at least 2 rows, not finite, or `target` of another length.
    """
    target = np.asarray(target, np.float64)
    if target.ndim != 1 or not np.all(np.isfinite(target)):
        raise ValueError(f"Expected a finite 1-D target; received shape {target.shape}.")
    features = _features(features, len(target))
    u, s, _ = np.linalg.svd(features, full_matrices=False)
    return _evidence(u, s, features.shape[1], target)


def logme(features, labels):
    """Score how well `features` suit a classification target with LogME (You et al., ICML 2021).

    Each class is a one-vs-rest 0/1 target; `logme_evidence` maximises its evidence, and LogME is
    the mean over the classes present. Higher is better; compare scores on the same target data.

    Args:
        features: `float (n, dim)` embeddings of the target examples by a candidate source model.
        labels: `int (n,)` target classes `0..C-1`, at least 2 of them present.

    Returns:
        float: the mean over classes of the log evidence per example.

    Raises:
        ValueError: bad shapes, labels not integers >= 0, fewer than 2 classes, or non-finite features.
    """
    labels = _labels(labels)
    features = _features(features, len(labels))
    u, s, _ = np.linalg.svd(features, full_matrices=False)  # once, shared by every class
    scores = [_evidence(u, s, features.shape[1], (labels == c).astype(np.float64))[0] for c in np.unique(labels)]
    return float(np.mean(scores))


@dataclasses.dataclass(frozen=True)
class Gap:
    """The negative transfer gap: target error with the source minus without it, over paired seeds.

    Attributes:
        mean: the mean gap; positive means the source hurt.
        low, high: the 95% interval of the mean (Student's t on the per-seed gaps).
        per_seed: the gap of each seed, in the order given.
    """

    mean: float
    low: float
    high: float
    per_seed: tuple

    @property
    def verdict(self):
        """`"negative transfer"` (interval above 0), `"positive transfer"` (below 0), or `"no clear effect"`."""
        if self.low > 0:
            return "negative transfer"
        return "positive transfer" if self.high < 0 else "no clear effect"

    def __str__(self):
        return f"{self.mean:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"


def negative_transfer_gap(errors_with_source, errors_without):
    """Measure negative transfer (Wang et al., CVPR 2019) over seeds, paired seed by seed.

    Args:
        errors_with_source: `float (seeds,)` target error rates (1 - accuracy) of the model
            transferred from the source, one per seed.
        errors_without: `float (seeds,)` target error rates of the model trained without the
            source (e.g. from scratch), on the same seeds and data.

    Returns:
        A `Gap`; `str(gap)` reads like `"+0.052 [+0.010, +0.094]"`.

    Raises:
        ValueError: the two differ in length, hold fewer than 2 seeds, or are not finite.
    """
    with_source, without = _paired(errors_with_source, errors_without, 2, "seeds")
    paired = evaluation.compare_paired(with_source, without)  # the course's paired t-interval
    return Gap(paired.mean_diff, paired.ci[0], paired.ci[1], tuple(float(g) for g in paired.diffs))


def spearman(scores, accuracies):
    """Return Spearman's rank correlation between transferability `scores` and fine-tuned `accuracies`.

    +1 means the score ranks the source models exactly as fine-tuning does; ties share a rank.

    Args:
        scores: `float (models,)`, one transferability score per candidate source model.
        accuracies: `float (models,)`, the target accuracy each reaches after fine-tuning.

    Returns:
        float, in [-1, 1].

    Raises:
        ValueError: different lengths, fewer than 3 models, non-finite values, or a constant input.
    """
    scores, accuracies = _paired(scores, accuracies, 3, "models")
    if np.ptp(scores) == 0 or np.ptp(accuracies) == 0:
        raise ValueError("Expected scores and accuracies that are not all equal; received a constant input.")
    return float(stats.spearmanr(scores, accuracies).statistic)


def paste_in_quadrants(photos, backgrounds, patch, seed=0, dim=0.5, jitter=4):
    """Make the "where is the flower?" task: paste each photo, shrunk, into one quadrant of a dimmed canvas.

    Args:
        photos: `float (n, patch, patch, 3)` in [0, 255], the flowers to place.
        backgrounds: `float (n, size, size, 3)` in [0, 255], one canvas per photo (another photo).
        patch: side of the pasted photo in pixels, at most `size // 2`.
        seed: draws each quadrant and a shift of up to `jitter` pixels.
        dim: the canvas is multiplied by this, so the pasted photo stands out.
        jitter: the largest shift, in pixels, from the quadrant's corner inset.

    Returns:
        `(canvases, quadrants)`: `float32 (n, size, size, 3)` and `int (n,)` in 0..3
        (top left, top right, bottom left, bottom right).

    Raises:
        ValueError: shapes that do not match, or a patch larger than half the canvas.
    """
    photos, backgrounds = np.asarray(photos, np.float32), np.asarray(backgrounds, np.float32)
    if photos.ndim != 4 or backgrounds.ndim != 4 or len(photos) != len(backgrounds):
        raise ValueError(f"Expected photos (n, p, p, 3) and backgrounds (n, s, s, 3); received {photos.shape} and {backgrounds.shape}.")
    size = backgrounds.shape[1]
    if photos.shape[1:3] != (patch, patch) or not 0 < patch <= size // 2:
        raise ValueError(f"Expected {patch}-pixel photos with 0 < patch <= {size // 2}; received {photos.shape[1:3]}.")
    rng = np.random.default_rng(seed)
    quadrants = rng.integers(0, 4, len(photos))
    canvases = backgrounds * dim
    inset = (size // 2 - patch) // 2
    for i, q in enumerate(quadrants):
        top, left = (q // 2) * size // 2 + inset, (q % 2) * size // 2 + inset
        top, left = (int(np.clip(v + rng.integers(-jitter, jitter + 1), 0, size - patch)) for v in (top, left))
        canvases[i, top:top + patch, left:left + patch] = photos[i]
    return canvases, quadrants


def grid_pool(feature_maps, grid):
    """Average a backbone's feature map over a `grid x grid` layout of cells and concatenate the cells.

    `grid=1` is global average pooling (what `pooling="avg"` does); a grid as fine as the map keeps
    every position.

    Args:
        feature_maps: `float (n, h, w, channels)`.
        grid: cells per side, 1 to `min(h, w)`.

    Returns:
        `float (n, grid * grid * channels)`.

    Raises:
        ValueError: a grid outside 1..min(h, w).
    """
    maps = np.asarray(feature_maps)
    if maps.ndim != 4 or not 1 <= grid <= min(maps.shape[1:3]):
        raise ValueError(f"Expected maps (n, h, w, c) and a grid of 1..min(h, w); received {maps.shape} and {grid}.")
    rows, cols = (np.linspace(0, maps.shape[k], grid + 1).round().astype(int) for k in (1, 2))
    cells = [maps[:, rows[a]:rows[a + 1], cols[b]:cols[b + 1]].mean(axis=(1, 2)) for a in range(grid) for b in range(grid)]
    return np.concatenate(cells, axis=1)
