"""`tl-course bench`: what embedding once saves, measured on the flowers.

In one run it times (1) end-to-end training of a head on a frozen base,
which runs the base every epoch, against embedding once and training the same
head on the cached embeddings, for the same epochs; and (2) embedding
throughput through the real input pipeline (files, decode, resize) against
the backbone alone on tensors already in memory, and through the cached
pipeline on a second pass (what every training epoch after the first sees).
"""

import json
import os
import platform
import time

import numpy as np

from tl_course.core import pipeline
from tl_course.core.timing import fastest_in_turns

__all__ = ["format_result", "run", "save"]


def _images_per_second(n, run, repeats=5):
    """Best of `repeats` timings of `run()`, as images per second.

    A pass over 750 images lasts a second or two, so one timing is noisy; the
    best one is the least disturbed by the rest of the machine.
    """
    return n / fastest_in_turns([run], repeats)[0]


def _embedding_rates(embedder, folder, image_size, batch_size=64):
    """Images/s of one traced forward pass fed three ways: files, the filled cache, tensors in memory.

    The forward pass is called directly, not through `model.predict`, whose
    data adapter slices NumPy arrays on the host and would hide what the
    backbone alone can do.
    """
    import tensorflow as tf

    forward = tf.function(lambda x: embedder(x, training=False), reduce_retracing=True)

    def embed_all(batches):
        for x in batches:
            np.asarray(forward(x))

    from_files = pipeline.make_dataset(folder, image_size, batch_size, cache=False).map(lambda x, y: x)
    cached = pipeline.make_dataset(folder, image_size, batch_size, cache=True).map(lambda x, y: x)
    in_memory = list(cached)  # this first pass also fills the dataset's cache
    embed_all(in_memory[:2])  # trace the forward pass outside the timings
    n = len(folder)
    return tuple(_images_per_second(n, lambda batches=batches: embed_all(batches))
                 for batches in (from_files, cached, in_memory))


def run(per_class=None, epochs=5, image_size=160, seed=0, batch_size=32, backbone="mobilenet_v2"):
    """Run the benchmark and return a dict of measured figures."""
    import keras

    from tl_course.core import backbones, datasets, embedding_cache, freezing, images, model_builders, sampling, training

    keras.utils.set_random_seed(seed)
    folder = images.scan_image_folder(datasets.dataset_path("flower_photos"), per_class=per_class, seed=seed)
    train, val, test = sampling.split_folder(folder, seed=seed)
    n_classes = len(folder.class_names)
    base = freezing.freeze(backbones.load_backbone(backbone, image_size))
    compile_args = dict(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    ds = {name: pipeline.make_dataset(f, image_size, batch_size, shuffle=name == "train", seed=seed)
          for name, f in (("train", train), ("val", val), ("test", test))}
    end_to_end = model_builders.build_classifier(base, backbone, n_classes, image_size)
    end_to_end.compile(**compile_args)
    _, e2e_seconds = training.timed_fit(end_to_end, ds["train"], validation_data=ds["val"], epochs=epochs)
    e2e_acc = end_to_end.evaluate(ds["test"], verbose=0)[1]

    embedder = model_builders.build_embedder(base, backbone, image_size)
    start = time.perf_counter()
    emb = {name: embedding_cache.embed(embedder, f, image_size, use_cache=False)
           for name, f in (("train", train), ("val", val), ("test", test))}
    head = model_builders.build_head(emb["train"].features.shape[1], n_classes)
    head.compile(**compile_args)
    head.fit(emb["train"].features, emb["train"].labels, validation_data=(emb["val"].features, emb["val"].labels),
             epochs=epochs, batch_size=batch_size, verbose=0)
    cached_seconds = time.perf_counter() - start
    cached_acc = head.evaluate(emb["test"].features, emb["test"].labels, verbose=0)[1]

    pipeline_rate, cached_rate, memory_rate = _embedding_rates(embedder, folder, image_size)

    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "backbone": f"{backbone} {image_size}px", "images": len(folder), "train": len(train), "epochs": epochs,
        "end_to_end_seconds": e2e_seconds, "end_to_end_test_accuracy": float(e2e_acc),
        "embed_once_seconds": cached_seconds, "embed_once_test_accuracy": float(cached_acc),
        "speedup": e2e_seconds / cached_seconds,
        "pipeline_images_per_second": pipeline_rate, "in_memory_images_per_second": memory_rate,
        "pipeline_over_memory": pipeline_rate / memory_rate,
        "cached_pipeline_images_per_second": cached_rate, "cached_over_memory": cached_rate / memory_rate,
    }


def format_result(r):
    """Return the benchmark result as a short Markdown table."""
    return "\n".join([
        f"{r['backbone']} on {r['images']} flower photos ({r['train']} train), {r['epochs']} epochs, {r['machine']}",
        "",
        "| approach | wall time (s) | test accuracy |",
        "|---|---|---|",
        f"| end-to-end, frozen base | {r['end_to_end_seconds']:.1f} | {r['end_to_end_test_accuracy']:.3f} |",
        f"| embed once + head | {r['embed_once_seconds']:.1f} | {r['embed_once_test_accuracy']:.3f} |",
        f"| ratio | {r['speedup']:.1f}x faster | |",
        "",
        "| embedding | images/s |",
        "|---|---|",
        f"| input pipeline, first pass (files, decode, resize) + backbone | {r['pipeline_images_per_second']:.0f} |",
        f"| cached pipeline (second pass) + backbone | {r['cached_pipeline_images_per_second']:.0f} |",
        f"| backbone alone, tensors in memory | {r['in_memory_images_per_second']:.0f} |",
        f"| first pass / in memory | {r['pipeline_over_memory']:.2f} |",
        f"| cached pass / in memory | {r['cached_over_memory']:.2f} |",
    ])


def save(result, path):
    """Write the result as JSON."""
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
