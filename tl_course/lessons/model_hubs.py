"""Taught in 07_model_hubs: pretrained models from three hubs, measured side by side, and a backbone chosen.

The hub plumbing itself (the model registry, TF Hub's cache, `HubModule`) lives in
`core.hub_modules`, which later lessons use too. Here: how fast a feature extractor runs
(`images_per_second`), the table of every backbone available (`backbone_table`), and its
figure (`accuracy_vs_speed`).

Example:

```python
rows = model_hubs.backbone_table(train, test, candidates=[("mobilenet_v2", 128), ("mobilenet", 160)])
model_hubs.accuracy_vs_speed(rows)
```
"""

import dataclasses
import logging

import numpy as np

from tl_course.core import backbones, embedding_cache, evaluation, model_builders, pipeline, timing
from tl_course.core.plots import figure

__all__ = ["BackboneRow", "accuracy_vs_speed", "backbone_table", "images_per_second"]


def images_per_second(model, pixels, batch_size=64, repeats=3):
    """Return how many images per second `model.predict` embeds: the fastest of `repeats` timed runs.

    Args:
        model: a Keras model taking `pixels`.
        pixels: `(n, size, size, 3)` array, at least one image.
        batch_size: images per forward pass.
        repeats: timed runs after one untimed warm-up (`timing.time_predict`).

    Raises:
        ValueError: no images.
    """
    if len(pixels) == 0:
        raise ValueError("Expected at least one image to time; received an empty array.")
    return len(pixels) / timing.time_predict(model, pixels, batch_size, repeats)


@dataclasses.dataclass(frozen=True)
class BackboneRow:
    """One backbone at one input size: its linear-probe accuracy, speed and size (or why it was skipped)."""

    name: str
    image_size: int
    accuracy: float = float("nan")
    images_per_second: float = float("nan")
    parameters: int = 0
    skipped: str = ""


def backbone_table(train, test, candidates, timing_images=64, repeats=3):
    """Measure every candidate backbone whose ImageNet weights are available; skip the others with a reason.

    Each backbone is frozen; the course's linear probe (`evaluation.fit_probe`) is fitted on its
    embeddings of `train` and scored on `test`; its speed is `images_per_second` on the first
    `timing_images` test photos.

    Args:
        train, test: `images.ImageFolder`s.
        candidates: `[(backbone registry name, image size), ...]`.
        timing_images: photos timed per backbone.
        repeats: timed runs per backbone.

    Returns:
        A list of `BackboneRow`, in the order of `candidates`.
    """
    tf_logger = logging.getLogger("tensorflow")  # every new backbone's `predict` traces anew: TensorFlow would warn of retracing
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        return [_measure(name, size, train, test, timing_images, repeats) for name, size in candidates]
    finally:
        tf_logger.setLevel(level)


def _measure(name, size, train, test, timing_images, repeats):
    available, note = backbones.weights_status(name, size)
    if not available:
        return BackboneRow(name, size, skipped=note)
    embedder = model_builders.build_embedder(backbones.load_backbone(name, size), name, size)
    x_train, x_test = (embedding_cache.embed(embedder, folder, size).features for folder in (train, test))
    accuracy = evaluation.fit_probe(x_train, train.labels).score(x_test, test.labels)
    pixels, _ = pipeline.load_arrays(test.subset(np.arange(min(timing_images, len(test)))), size)
    return BackboneRow(name, size, float(accuracy), images_per_second(embedder, pixels, repeats=repeats), int(embedder.count_params()))


def accuracy_vs_speed(rows):
    """Scatter linear-probe accuracy against images per second, one labelled point per measured row.

    Args:
        rows: `BackboneRow`s (skipped ones are left out) or objects with the same fields.

    Returns:
        The matplotlib figure.
    """
    measured = [r for r in rows if not r.skipped]
    fig = figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    for r in measured:
        ax.scatter(r.images_per_second, r.accuracy, s=20 + r.parameters / 2e4)
        ax.annotate(f"{r.name} {r.image_size}px", (r.images_per_second, r.accuracy), fontsize=8,
                    xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("images per second (log scale; point size: parameters)")
    ax.set_ylabel("linear-probe test accuracy")
    fig.tight_layout()
    return fig
