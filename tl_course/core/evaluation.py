"""Scoring what a lesson trained: accuracy, a linear probe, and paired comparisons over runs.

`fit_probe` is the course's linear probe (taught in `04_semi_supervised`, the
yardstick of every later lesson that trains on cached embeddings);
`compare_paired` is taught in `05_sequential_transfer`: two methods scored on
the same seeds, compared run by run with a 95% interval of the mean difference.
`accuracy_difference` is its one-run counterpart (taught in
`01_feature_extraction`): two accuracies on one test set, with an interval from
their binomial standard errors. Both print as "+0.038, 95% interval [+0.018, +0.058]".
"""

import dataclasses

import numpy as np

__all__ = ["Comparison", "Difference", "accuracy", "accuracy_difference", "compare_paired", "fit_probe", "outputs_in_batches", "standard_error"]


def fit_probe(x, y, C=10.0, sample_weight=None):
    """Fit the course's linear probe: L2 normalisation, then logistic regression.

    Args:
        x: `float (n, dim)` embeddings.
        y: int `(n,)` labels (or pseudo-labels).
        C: inverse regularisation strength.
        sample_weight: optional `float (n,)` weight of each example in the loss (importance
            weighting, `06_domain_adaptation`).

    Returns:
        A fitted scikit-learn pipeline (`predict_proba`, `predict`, `score`).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import Normalizer
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):  # tiny problems: one thread is fastest
        probe = make_pipeline(Normalizer(), LogisticRegression(C=C, solver="newton-cg", max_iter=1000))
        return probe.fit(x, y, logisticregression__sample_weight=sample_weight)


def _predicted_classes(model, batch, output):
    """Return the arg-max class of each row of `batch` under `model` (inference mode)."""
    predictions = model(batch, training=False)
    if output is not None:
        predictions = predictions[output]
    return np.argmax(np.asarray(predictions), axis=-1)


def outputs_in_batches(model, x, batch_size=256):
    """Return `model(x, training=False)` as one NumPy array, computed `batch_size` rows at a time.

    Plain calls rather than `model.predict`, which traces a new graph for every new model (and
    warns after a few); the batches keep thousands of images off the device at once.

    Args:
        model: a Keras model (or callable) with one array output.
        x: float array-like `(n, ...)`; cast to float32.
        batch_size: rows per call, at least 1.

    Raises:
        ValueError: `batch_size` below 1.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"Expected batch_size as an int >= 1; received {batch_size!r}.")
    x = np.asarray(x, np.float32)
    return np.concatenate([np.asarray(model(x[i:i + batch_size], training=False)) for i in range(0, len(x), batch_size)])


def accuracy(model, x, y, output=None, batch_size=256):
    """Return the fraction of `x` whose arg-max prediction equals `y`.

    The model is called on `batch_size` examples at a time (`model(batch, training=False)`, no
    `predict`), so thousands of photos never sit on the device at once.

    Args:
        model: a Keras model, or any callable `(batch, training=False)` -> scores `(batch, classes)`
            (a dict of them with `output`).
        x: float array-like `(n, ...)`, e.g. images or embeddings; cast to float32.
        y: int `(n,)` true classes.
        output: for a model with dict outputs, the key to score.
        batch_size: examples per call, at least 1.

    Raises:
        ValueError: `batch_size` below 1, or `x` and `y` of different lengths.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"Expected batch_size as an int >= 1; received {batch_size!r}.")
    x, y = np.asarray(x, np.float32), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"Expected one label per example; received {len(x)} examples and {len(y)} labels.")
    classes = [_predicted_classes(model, x[start:start + batch_size], output) for start in range(0, len(x), batch_size)]
    return float(np.mean(np.concatenate(classes) == y))


def standard_error(accuracy, n):
    """Return the binomial standard error of an `accuracy` measured on `n` test examples."""
    if n < 1:
        raise ValueError(f"Expected at least 1 test example, received n={n}.")
    return float(np.sqrt(accuracy * (1 - accuracy) / n))


def _describe(diff, ci):
    return f"{diff:+.3f}, 95% interval [{ci[0]:+.3f}, {ci[1]:+.3f}]"


@dataclasses.dataclass(frozen=True)
class Difference:
    """Accuracy `a - b` on one test set of `n` examples, with its standard error.

    The two accuracies are taken as independent (two models on the same photos are
    correlated, which makes this interval a little wide); `ci` is `diff ± 2 se`.
    """

    diff: float
    se: float
    n: int

    @property
    def ci(self):
        return (self.diff - 2 * self.se, self.diff + 2 * self.se)

    def __str__(self):
        return _describe(self.diff, self.ci)


def accuracy_difference(a, b, n):
    """Return the `Difference` of accuracies `a` and `b`, both measured on the same `n` test examples."""
    return Difference(float(a - b), float(np.hypot(standard_error(a, n), standard_error(b, n))), int(n))


# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (1.96 beyond).
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Two methods scored on the same runs (seeds), paired run by run.

    Attributes:
        mean_a, std_a, mean_b, std_b: mean and standard deviation per method.
        diffs: `a - b` per run.
        ci: 95% confidence interval `(low, high)` of the mean difference
            (Student's t, a paired t-test).
        verdict: `"a"` when the whole interval is above 0, `"b"` when it is
            below 0, else `"tie"`.
    """

    mean_a: float
    std_a: float
    mean_b: float
    std_b: float
    diffs: np.ndarray
    ci: tuple
    verdict: str

    @property
    def mean_diff(self):
        return float(np.mean(self.diffs))

    def __str__(self):
        return _describe(self.mean_diff, self.ci)


def compare_paired(a, b):
    """Compare per-run scores `a` and `b` (same seeds, same data) as a `Comparison`.

    Raises:
        ValueError: `a` and `b` differ in length or hold fewer than 2 runs.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"Expected two equal-length lists of at least 2 runs, received shapes {a.shape} and {b.shape}.")
    diffs = a - b
    df = len(diffs) - 1
    half = (_T95[df - 1] if df <= len(_T95) else 1.96) * diffs.std(ddof=1) / np.sqrt(len(diffs))
    ci = (float(diffs.mean() - half), float(diffs.mean() + half))
    verdict = "a" if ci[0] > 0 else "b" if ci[1] < 0 else "tie"
    return Comparison(float(a.mean()), float(a.std(ddof=1)), float(b.mean()), float(b.std(ddof=1)), diffs, ci, verdict)
