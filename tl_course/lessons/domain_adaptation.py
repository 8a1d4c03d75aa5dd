"""Taught in 06_domain_adaptation: how far a target domain has moved, and ways to close the gap.

The shift is measured with a domain classifier (`proxy_a_distance`) and the maximum mean
discrepancy (`mmd2`). The methods: AdaBN (`batch_norm_statistics`, `using_statistics`), a feature
adapter trained with an MMD penalty or behind a gradient-reversal layer (`fit_adapter`,
`GradientReversal`: DANN), and a domain classifier's odds as importance weights
(`domain_probabilities`). The target itself comes from `core.corruptions`; self-training from
`core.self_training`.

Example:

```python
target = corruptions.corrupt(pixels, ids, "low_light", severity=3, seed=0)
adapter = domain_adaptation.fit_adapter(x_source, y_source, x_target, method="dann", seed=0)
adapter.predict_proba(x_target_test).argmax(1)
```
"""

import contextlib
import dataclasses

import keras
import numpy as np

from tl_course.core.evaluation import fit_probe

__all__ = ["Adapter", "GradientReversal", "batch_norm_statistics", "domain_probabilities", "fit_adapter", "mmd2",
           "proxy_a_distance", "reverse_gradient", "using_statistics"]


def _batch_norms(model):
    return [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.BatchNormalization)]


def batch_norm_statistics(base, inputs, batch_size=128):
    """Estimate every BatchNormalization layer's mean and variance on `inputs` (AdaBN).

    Runs `base` in training mode, so each layer normalises with the batch's statistics (as AdaBN,
    Li et al. 2016, does), and averages them over the batches. `base` is left as it was.

    Args:
        base: a model with BatchNormalization layers, e.g. `backbones.load_backbone(...)`.
        inputs: `(n, ...)` what `base` takes (for a backbone: pixels after `preprocess_input`).
        batch_size: examples per forward pass.

    Returns:
        `{layer name: (mean, variance)}`.
    """
    layers = _batch_norms(base)
    saved = [(bn.moving_mean.numpy(), bn.moving_variance.numpy(), bn.momentum, bn.trainable) for bn in layers]
    try:
        for bn in layers:
            bn.trainable = True  # a frozen BatchNormalization layer ignores training=True in Keras 3
        for k, start in enumerate(range(0, len(inputs), batch_size)):
            for bn in layers:
                bn.momentum = k / (k + 1)  # a running average of the batch statistics
            base(inputs[start:start + batch_size], training=True)
        return {bn.name: (bn.moving_mean.numpy(), bn.moving_variance.numpy()) for bn in layers}
    finally:
        for bn, (mean, variance, momentum, trainable) in zip(layers, saved):
            bn.moving_mean.assign(mean)
            bn.moving_variance.assign(variance)
            bn.momentum, bn.trainable = momentum, trainable


@contextlib.contextmanager
def using_statistics(model, statistics):
    """Run the block with `model`'s BatchNormalization statistics replaced by `statistics`.

    Args:
        model: the model whose BatchNormalization layers `statistics` describes;
            a model containing it (an embedder around the backbone) works too.
        statistics: from `batch_norm_statistics`.

    Raises:
        ValueError: `statistics` are those of other layers.
    """
    layers = _batch_norms(model)
    if sorted(bn.name for bn in layers) != sorted(statistics):
        raise ValueError(f"Expected statistics for the {len(layers)} BatchNormalization layers of {model.name}; "
                         f"received {len(statistics)}, for other layers: {sorted(set(statistics) - {bn.name for bn in layers})[:3]}.")
    saved = [(bn.moving_mean.numpy(), bn.moving_variance.numpy()) for bn in layers]
    try:
        for bn in layers:
            mean, variance = statistics[bn.name]
            bn.moving_mean.assign(mean)
            bn.moving_variance.assign(variance)
        yield model
    finally:
        for bn, (mean, variance) in zip(layers, saved):
            bn.moving_mean.assign(mean)
            bn.moving_variance.assign(variance)


def _squared_distances(a, b):
    a2 = keras.ops.sum(a * a, axis=1)[:, None]
    b2 = keras.ops.sum(b * b, axis=1)[None, :]
    return keras.ops.maximum(a2 + b2 - 2 * keras.ops.matmul(a, keras.ops.transpose(b)), 0.0)


def mmd2(x, y, bandwidth=None):
    """Return the squared maximum mean discrepancy between samples `x` and `y` (Gaussian kernel).

    The biased estimate (Gretton et al., 2012): mean k(x, x') + mean k(y, y') - 2 mean k(x, y), with
    k(a, b) = exp(-|a - b|^2 / (2 bandwidth^2)). In `keras.ops`: also a penalty inside a model.

    Args:
        x: `float (n, dim)`; y: `float (m, dim)`.
        bandwidth: the kernel's width; None takes the root mean squared distance between all
            the points of `x` and `y` pooled (no gradient flows through it).

    Returns:
        A scalar tensor (`float(...)` gives a number).
    """
    x, y = keras.ops.convert_to_tensor(x, "float32"), keras.ops.convert_to_tensor(y, "float32")
    xx, yy, xy = _squared_distances(x, x), _squared_distances(y, y), _squared_distances(x, y)
    if bandwidth is None:
        n, m = keras.ops.shape(x)[0], keras.ops.shape(y)[0]
        total = keras.ops.sum(xx) + keras.ops.sum(yy) + 2 * keras.ops.sum(xy)
        squared = keras.ops.stop_gradient(keras.ops.maximum(total / keras.ops.cast((n + m) * (n + m), "float32"), 1e-12))
    else:
        squared = float(bandwidth) ** 2
    kernel = lambda d: keras.ops.exp(-d / (2 * squared))  # noqa: E731
    return keras.ops.mean(kernel(xx)) + keras.ops.mean(kernel(yy)) - 2 * keras.ops.mean(kernel(xy))


def domain_probabilities(x_source, x_target, folds=2, seed=0):
    """Return each example's probability of being from the target, out of fold.

    A domain classifier (the course's linear probe: 0 = source, 1 = target) fitted on the other
    folds scores each fold, so no example is scored by a classifier that saw it.

    Returns:
        `(p_source, p_target)`: `float (n,)` and `float (m,)`.
    """
    x = np.concatenate([x_source, x_target])
    d = np.r_[np.zeros(len(x_source), int), np.ones(len(x_target), int)]
    rng = np.random.default_rng(seed)  # folds drawn within each domain, so every fold has both in the same shares
    fold = np.concatenate([rng.permutation(len(x_source)), rng.permutation(len(x_target))]) % folds
    p = np.zeros(len(x))
    for k in range(folds):
        p[fold == k] = fit_probe(x[fold != k], d[fold != k]).predict_proba(x[fold == k])[:, 1]
    return p[: len(x_source)], p[len(x_source):]


def proxy_a_distance(x_source, x_target, seed=0):
    """Return the proxy A-distance `2 (1 - 2 error)` of a domain classifier, and its accuracy.

    Ben-David et al. (2007): 0 when no classifier tells the domains apart, 2 when one always
    does. The larger domain is subsampled to the size of the smaller, so chance is 0.5.

    Returns:
        `(distance, accuracy)`.
    """
    rng = np.random.default_rng(seed)
    n = min(len(x_source), len(x_target))
    xs, xt = x_source[rng.permutation(len(x_source))[:n]], x_target[rng.permutation(len(x_target))[:n]]
    ps, pt = domain_probabilities(xs, xt, seed=seed)
    accuracy = float(np.mean(np.r_[ps < 0.5, pt >= 0.5]))
    return 2 * (1 - 2 * (1 - accuracy)), accuracy


def reverse_gradient(x, strength=1.0):
    """Return `x` unchanged, with a gradient of `-strength` times the incoming one (DANN's trick)."""
    strength = keras.ops.convert_to_tensor(strength, "float32")  # read outside: no variable inside the custom gradient

    @keras.ops.custom_gradient
    def reverse(x):
        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return -strength * upstream

        return x * 1.0, grad

    return reverse(x)


@keras.saving.register_keras_serializable(package="tl_course")
class GradientReversal(keras.layers.Layer):
    """The identity on the way forward; on the way back, the gradient times `-strength`.

    Ganin and Lempitsky (2015): put it between the features and a domain head, and one
    gradient step trains the head to tell the domains apart while it pushes the features to
    make that impossible. `strength` is a variable, so a callback can raise it during training
    without rebuilding the model (`fit_adapter` does).
    """

    def __init__(self, strength=1.0, **kwargs):
        super().__init__(**kwargs)
        self.strength = keras.Variable(float(strength), trainable=False, name="strength")

    def call(self, inputs):
        return reverse_gradient(inputs, self.strength)

    def get_config(self):
        return {**super().get_config(), "strength": float(self.strength.numpy())}


class _PairedBatches(keras.utils.PyDataset):
    """Each epoch: every source example once, in a new order, each beside a random target example."""

    def __init__(self, x_source, targets, x_target, batch_size, seed):
        super().__init__()
        self.xs, self.targets, self.xt, self.batch_size, self.rng = x_source, targets, x_target, batch_size, np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return len(self.xs) // self.batch_size  # whole batches only: one traced train step

    def on_epoch_end(self):
        self.order, self.partner = self.rng.permutation(len(self.xs)), self.rng.integers(0, len(self.xt), len(self.xs))

    def __getitem__(self, i):
        rows = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        inputs = {"source": self.xs[rows], "target": self.xt[self.partner[rows]]}
        return inputs, {name: value[rows] for name, value in self.targets.items()}


def _ramp(progress):
    """DANN's schedule for the reversal's strength: 0 at the start, 1 at the end (Ganin et al., 2016)."""
    return 2 / (1 + np.exp(-10 * min(progress, 1.0))) - 1


@dataclasses.dataclass
class Adapter:
    """What `fit_adapter` trained: `features` (embedding -> adapted features), `classifier` (-> probabilities), `history`."""

    features: keras.Model
    classifier: keras.Model
    history: dict

    def predict_proba(self, x):  # plain calls: `predict` would trace a graph for every new adapter
        return keras.ops.convert_to_numpy(self.classifier(np.asarray(x, np.float32), training=False))

    def transform(self, x):
        return keras.ops.convert_to_numpy(self.features(np.asarray(x, np.float32), training=False))


def fit_adapter(x_source, y_source, x_target, method="none", weight=1.0, epochs=30, units=128, batch_size=32, seed=0):
    """Train a small feature adapter and classifier on source labels, aligned to the target.

    The adapter (L2 normalisation, then a ReLU layer of `units`) feeds the classifier. Each
    batch pairs source embeddings (labelled) with target embeddings (unlabelled):
    - `"none"`: the source's cross-entropy only (the baseline for the two others);
    - `"mmd"`: plus `weight * mmd2(source features, target features)`;
    - `"dann"`: plus a domain head's cross-entropy, behind a `GradientReversal` whose strength
      ramps from 0 to `weight` as `2 / (1 + exp(-10 p)) - 1` (p: the share of training done).

    Args:
        x_source: `float (n, dim)`; y_source: int `(n,)`; x_target: `float (m, dim)`.
        method: `"none"`, `"mmd"` or `"dann"`; weight: the alignment term's weight.
        epochs, units, batch_size: training settings; seed: initialisation, batches, pairing.

    Returns:
        `Adapter`.

    Raises:
        ValueError: unknown `method`.
    """
    if method not in ("none", "mmd", "dann"):
        raise ValueError(f"Expected method 'none', 'mmd' or 'dann'; received {method!r}.")
    keras.utils.set_random_seed(seed)
    x_source, x_target = np.asarray(x_source, np.float32), np.asarray(x_target, np.float32)
    y_source = np.asarray(y_source)
    dim, classes = x_source.shape[1], int(y_source.max()) + 1
    embedding = keras.Input((dim,), name="embedding")
    hidden = keras.layers.Dense(units, activation="relu", name="adapter")(keras.layers.UnitNormalization()(embedding))
    features = keras.Model(embedding, hidden, name="features")
    classifier = keras.Model(embedding, keras.layers.Dense(classes, activation="softmax", name="label")(hidden),
                             name="classifier")
    source, target = keras.Input((dim,), name="source"), keras.Input((dim,), name="target")
    outputs, losses, targets = {"label": classifier(source)}, {"label": "sparse_categorical_crossentropy"}, {"label": y_source}
    callbacks, steps = [], epochs * (len(x_source) // batch_size)
    if method == "mmd":
        outputs["align"] = keras.layers.Lambda(lambda f: keras.ops.ones((keras.ops.shape(f[0])[0], 1)) * mmd2(*f),
                                               name="align")([features(source), features(target)])
        losses["align"] = lambda _, penalty: weight * keras.ops.mean(penalty)
        targets["align"] = np.zeros((len(x_source), 1), np.float32)
    elif method == "dann":
        reversal = GradientReversal(0.0, name="reversal")
        domain_head = keras.Sequential([keras.layers.Dense(units, activation="relu"), keras.layers.Dense(1, activation="sigmoid")],
                                       name="domain")
        for name, x in (("source_domain", source), ("target_domain", target)):
            outputs[name] = keras.layers.Identity(name=name)(domain_head(reversal(features(x))))
            losses[name] = "binary_crossentropy"
        targets.update(source_domain=np.zeros((len(x_source), 1), np.float32),
                       target_domain=np.ones((len(x_source), 1), np.float32))
        ramp = lambda batch, logs: reversal.strength.assign(weight * _ramp(model.optimizer.iterations.numpy() / steps))  # noqa: E731
        callbacks.append(keras.callbacks.LambdaCallback(on_train_batch_begin=ramp))
    model = keras.Model({"source": source, "target": target}, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=losses)
    history = model.fit(_PairedBatches(x_source, targets, x_target, batch_size, seed), epochs=epochs,
                        callbacks=callbacks, verbose=0)
    return Adapter(features, classifier, history.history)

