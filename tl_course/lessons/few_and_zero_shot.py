"""Taught in 09_few_and_zero_shot: few-shot episodes on frozen embeddings, and classes never trained on.

Few-shot learning is measured the way its literature reports it: many N-way K-shot *episodes*
(`sample_episodes`), each a small support set to learn from and a query set to score, and the mean
accuracy over episodes with a 95% interval (`interval`). The classifiers here all work on frozen
embeddings: nearest class mean, SimpleShot (Wang et al., 2019), logistic regression, and a linear
head fine-tuned from the prototypes. Zero-shot: ConSE (Norouzi et al., 2014) turns an ImageNet
classifier's guesses into a sentence-embedding vector (`conse_vectors`), and a ridge map from image
to text embeddings (`ridge_map`, as in ESZSL) is scored on seen and unseen classes (`generalised_zero_shot`).
"""

import dataclasses

import numpy as np

from tl_course.core import evaluation

__all__ = [
    "Episode", "conse_vectors", "episode_accuracies", "fine_tuned_head", "generalised_zero_shot",
    "harmonic_mean", "interval", "logistic_regression", "nearest_class_mean", "nearest_vectors",
    "ridge_map", "sample_episodes", "simpleshot", "unit",
]


@dataclasses.dataclass(frozen=True)
class Episode:
    """One N-way K-shot episode: indices into the dataset.

    Attributes:
        classes: `int (n_way,)`, the dataset's labels of the episode's classes, in episode order.
        support: `int (n_way, k_shot)`: row i holds class i's support examples. The first `k` columns
            are a `k`-shot episode with the same queries, so shots can be compared episode by episode.
        query: `int (n_way, n_query)`, disjoint from `support`.
    """

    classes: np.ndarray
    support: np.ndarray
    query: np.ndarray

    def split(self, k=None):
        """Return `(support indices, support labels 0..n_way-1, query indices, query labels)` of the first `k` shots."""
        k = self.support.shape[1] if k is None else int(k)
        if not 1 <= k <= self.support.shape[1]:
            raise ValueError(f"Expected 1 <= k <= {self.support.shape[1]} shots; received {k}.")
        way = np.arange(len(self.classes))
        support = self.support[:, :k]
        return (support.ravel(), np.repeat(way, k), self.query.ravel(), np.repeat(way, self.query.shape[1]))


def sample_episodes(labels, n_way, k_shot, n_query, episodes, seed=0):
    """Draw `episodes` episodes, each from `n_way` random classes with `k_shot` + `n_query` examples apiece.

    Raises:
        ValueError: fewer than `n_way` classes, or a class with fewer than `k_shot + n_query` examples.
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if len(classes) < n_way:
        raise ValueError(f"Expected at least n_way={n_way} classes; received {len(classes)}.")
    members = {c: np.flatnonzero(labels == c) for c in classes}
    short = {int(c): len(m) for c, m in members.items() if len(m) < k_shot + n_query}
    if short:
        raise ValueError(f"Expected at least k_shot + n_query = {k_shot + n_query} examples per class; received {short}.")
    rng = np.random.default_rng(seed)
    drawn = []
    for _ in range(int(episodes)):
        chosen = rng.choice(classes, size=n_way, replace=False)
        picks = np.stack([rng.choice(members[c], size=k_shot + n_query, replace=False) for c in chosen])
        drawn.append(Episode(chosen, picks[:, :k_shot], picks[:, k_shot:]))
    return drawn


def unit(x):
    """Scale each row of `x` to length 1 (rows of zeros stay zero)."""
    x = np.asarray(x, np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def _prototypes(x, y):
    return np.stack([x[y == c].mean(axis=0) for c in range(int(y.max()) + 1)])


def _nearest(prototypes, query):
    distances = ((query[:, None, :] - prototypes[None, :, :]) ** 2).sum(axis=-1)
    return np.argmin(distances, axis=1)


def nearest_class_mean(support_x, support_y, query_x):
    """Predict the class whose mean support embedding is nearest (Euclidean) to each query."""
    support_x, query_x = np.asarray(support_x, np.float64), np.asarray(query_x, np.float64)
    return _nearest(_prototypes(support_x, np.asarray(support_y)), query_x)


def simpleshot(support_x, support_y, query_x, centre=None):
    """SimpleShot's CL2N: subtract a centre, scale to unit length, then nearest class mean.

    Args:
        centre: the vector to subtract; None uses the mean of the support embeddings.
    """
    support_x, query_x = np.asarray(support_x, np.float64), np.asarray(query_x, np.float64)
    centre = support_x.mean(axis=0) if centre is None else np.asarray(centre, np.float64)
    return nearest_class_mean(unit(support_x - centre), support_y, unit(query_x - centre))


def logistic_regression(support_x, support_y, query_x):
    """Fit the course's linear probe on the support set and predict the queries."""
    return evaluation.fit_probe(support_x, support_y).predict(query_x)


def fine_tuned_head(support_x, support_y, query_x, steps=100, rate=1.0, weight_decay=1e-3):
    """Train a linear softmax head on the support set, starting from the prototypes, and predict the queries.

    The features are scaled to unit length; the head starts as the nearest-prototype classifier
    (weights = class means, a cosine classifier) and takes `steps` full-batch gradient steps on the
    cross-entropy, so with `steps=0` it is the prototype classifier.
    """
    x, q, y = unit(support_x), unit(query_x), np.asarray(support_y)
    classes = int(y.max()) + 1
    weights, bias = _prototypes(x, y).T * 10.0, np.zeros(classes)  # 10: a temperature that makes the softmax confident
    target = np.eye(classes)[y]
    for _ in range(int(steps)):
        logits = x @ weights + bias
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        error = (p - target) / len(y)
        weights -= rate * (x.T @ error + weight_decay * weights)
        bias -= rate * error.sum(axis=0)
    return np.argmax(q @ weights + bias, axis=1)


def episode_accuracies(features, episodes, method, k=None):
    """Return each episode's query accuracy of `method(support_x, support_y, query_x) -> predictions` at `k` shots."""
    features = np.asarray(features)
    scores = []
    for episode in episodes:
        support, support_y, query, query_y = episode.split(k)
        scores.append(np.mean(method(features[support], support_y, features[query]) == query_y))
    return np.array(scores)


def interval(accuracies):
    """Return `(mean, half-width)` of the 95% interval the few-shot literature reports: 1.96 standard errors."""
    accuracies = np.asarray(accuracies, np.float64)
    if len(accuracies) < 2:
        raise ValueError(f"Expected at least 2 episodes; received {len(accuracies)}.")
    return float(accuracies.mean()), float(1.96 * accuracies.std(ddof=1) / np.sqrt(len(accuracies)))


def conse_vectors(probabilities, name_vectors, top):
    """ConSE: each example's semantic vector, the probability-weighted mean of its `top` classes' name vectors.

    Args:
        probabilities: `(n, classes)` of a classifier trained on other classes (ImageNet's 1000).
        name_vectors: `(classes, dim)` text embeddings of those classes' names.
        top: how many of the most probable classes to mix, at least 1.

    Returns:
        `float (n, dim)`: sum over the top classes of p * vector, divided by the sum of their p.
    """
    probabilities, name_vectors = np.asarray(probabilities, np.float64), np.asarray(name_vectors, np.float64)
    if not 1 <= top <= probabilities.shape[1]:
        raise ValueError(f"Expected 1 <= top <= {probabilities.shape[1]}; received {top}.")
    best = np.argsort(-probabilities, axis=1, kind="stable")[:, :top]
    weights = np.take_along_axis(probabilities, best, axis=1)
    return np.einsum("nt,ntd->nd", weights, name_vectors[best]) / weights.sum(axis=1, keepdims=True)


def nearest_vectors(vectors, class_vectors):
    """Return `(predictions, cosine similarities (n, classes))`: the class vector most similar to each row."""
    similarity = unit(vectors) @ unit(class_vectors).T
    return np.argmax(similarity, axis=1), similarity


def ridge_map(x, targets, alpha=1.0, towards_identity=False):
    """Fit `W` minimising `|x W - targets|^2 + alpha |W - W0|^2` in closed form (the ESZSL-style linear map).

    Args:
        towards_identity: False shrinks `W` towards zero (`W0 = 0`); True towards the identity
            (`W0 = I`, for `x` already in the targets' space, e.g. ConSE vectors): a large `alpha`
            then leaves `x` as it is.

    Returns:
        `float (dim_x, dim_targets)`: map image embeddings with `x @ W`.
    """
    x, targets = np.asarray(x, np.float64), np.asarray(targets, np.float64)
    if towards_identity and x.shape[1] != targets.shape[1]:
        raise ValueError(f"Expected x in the targets' space ({targets.shape[1]} numbers) to shrink towards the identity; "
                         f"received {x.shape[1]}.")
    prior = np.eye(x.shape[1]) if towards_identity else np.zeros((x.shape[1], targets.shape[1]))
    gram = x.T @ x + alpha * np.eye(x.shape[1])
    return np.linalg.solve(gram, x.T @ targets + alpha * prior)


def harmonic_mean(a, b):
    """Return the harmonic mean of two accuracies (0 when either is 0): generalised zero-shot's summary."""
    return 0.0 if a <= 0 or b <= 0 else 2 * a * b / (a + b)


def generalised_zero_shot(features, labels, class_vectors, unseen, train_fraction=0.5, alpha=1.0, towards_identity=False, seed=0):
    """Train a ridge map on seen classes only, then classify test photos of every class among all classes.

    Args:
        features: `(n, dim)` image embeddings; labels: `int (n,)`.
        class_vectors: `(classes, text_dim)` text embeddings of every class's name.
        unseen: labels never trained on.
        train_fraction: share of each seen class's photos the map is fitted on; the rest test.
        alpha, towards_identity: the ridge map's, see `ridge_map`.

    Returns:
        dict: `seen` and `unseen` accuracies (test photos of seen, of unseen classes), `harmonic`,
        `unseen_only` (unseen photos classified among the unseen classes alone: plain zero-shot),
        and `scores` `(test, classes)` with `test_labels`, `seen_mask` for calibrating.
    """
    features, labels = unit(features), np.asarray(labels)
    targets = unit(class_vectors)
    unseen = np.asarray(sorted(set(int(u) for u in unseen)))
    rng = np.random.default_rng(seed)
    train = np.zeros(len(labels), bool)
    for c in np.setdiff1d(np.unique(labels), unseen):
        members = rng.permutation(np.flatnonzero(labels == c))
        train[members[:int(round(train_fraction * len(members)))]] = True
    weights = ridge_map(features[train], targets[labels[train]], alpha, towards_identity)
    test = ~train
    _, scores = nearest_vectors(features[test] @ weights, targets)
    test_labels = labels[test]
    predicted = np.argmax(scores, axis=1)
    is_unseen = np.isin(test_labels, unseen)
    seen_accuracy = float(np.mean(predicted[~is_unseen] == test_labels[~is_unseen]))
    unseen_accuracy = float(np.mean(predicted[is_unseen] == test_labels[is_unseen]))
    among_unseen = unseen[np.argmax(scores[is_unseen][:, unseen], axis=1)]
    return {"seen": seen_accuracy, "unseen": unseen_accuracy, "harmonic": harmonic_mean(seen_accuracy, unseen_accuracy),
            "unseen_only": float(np.mean(among_unseen == test_labels[is_unseen])), "scores": scores,
            "test_labels": test_labels, "seen_mask": ~np.isin(np.arange(len(targets)), unseen)}
