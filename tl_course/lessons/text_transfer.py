"""Taught in 08_text_transfer: a pretrained sentence encoder, frozen, fine-tuned, and with LoRA.

The encoder is a BERT from keras-hub (all-MiniLM-L6-v2, from the model registry); loading it,
tokenising, mean pooling and the embedding cache are taught here and live in `core.text_encoders`
(lesson 09 embeds class names with them; re-exported here). The data are short product, restaurant
and film reviews from three sites (`load_reviews`); a `sentence_classifier` is fine-tuned whole or
through LoRA (`fine_tune`, `enable_lora`), and probes measure the shift between sites.
"""

import dataclasses
import tempfile
import time
import warnings
from pathlib import Path

import keras
import numpy as np
from keras import ops

from tl_course.core import evaluation, text_encoders, training
from tl_course.core.text_encoders import MaskedMeanPooling, embed_sentences, load_encoder, tokenize  # taught here, used by lesson 09 too

__all__ = [
    "SITES", "FitResult", "MaskedMeanPooling", "cross_site_accuracies", "domain_accuracies",
    "embed_sentences", "enable_lora", "fine_tune", "load_adapter", "load_encoder", "load_reviews",
    "pick_sequence_length", "predict_classes", "save_adapter", "saved_bytes", "sentence_classifier",
    "tokenize",
]

SITES = ("amazon_cells", "yelp", "imdb")  # the three files `<site>_labelled.txt`


def load_reviews(folder, site):
    """Read one site's labelled sentences.

    Each line is `sentence<TAB>label` with label 0 (negative) or 1 (positive). Tolerated: CRLF
    endings, spaces before the tab, a header line, and characters such as U+0085 inside a
    sentence (lines are split on "\\n" only). Other malformed lines are skipped with one warning
    that gives their line numbers.

    Args:
        folder: the dataset folder, e.g. `datasets.dataset_path("sentiment_labelled_sentences")`.
        site: one of `SITES`.

    Returns:
        `(texts, labels)`: `object (n,)` array of str and `int64 (n,)` array.

    Raises:
        ValueError: unknown `site`.
        FileNotFoundError: the site's file is not in `folder`.
    """
    if site not in SITES:
        raise ValueError(f"Expected a site among {', '.join(SITES)}; received {site!r}.")
    path = Path(folder) / f"{site}_labelled.txt"
    if not path.is_file():
        raise FileNotFoundError(f"Expected {path.name} in {folder}; received a folder holding "
                                f"{sorted(p.name for p in Path(folder).glob('*'))[:6]}. Point TL_COURSE_DATA at the "
                                "folder that holds sentiment_labelled_sentences/.")
    texts, labels, bad = [], [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        sentence, _, label = line.rstrip("\r").rpartition("\t")
        if not line.strip() or (number == 1 and label.strip().lower() in ("label", "score", "sentiment")):
            continue
        if label.strip() not in ("0", "1") or not sentence.strip():
            bad.append(number)
            continue
        texts.append(sentence.strip())
        labels.append(int(label))
    if bad:
        warnings.warn(f"{path.name}: skipped {len(bad)} lines that are not 'sentence<TAB>0|1' (lines {bad[:10]})", stacklevel=2)
    return np.array(texts, dtype=object), np.array(labels, dtype=np.int64)


def pick_sequence_length(lengths, coverage=0.95, multiple=8):
    """Return the shortest multiple of `multiple` tokens that holds `coverage` of the sentences whole.

    Args:
        lengths: tokens per sentence, counting [CLS] and [SEP].
        coverage: share of sentences that must fit untruncated, in (0, 1].
        multiple: round up to a multiple of this (friendly to matrix kernels).
    """
    if not 0 < coverage <= 1:
        raise ValueError(f"Expected coverage in (0, 1]; received {coverage}.")
    quantile = float(np.quantile(np.asarray(lengths), coverage))
    return int(np.ceil(quantile / multiple) * multiple)


def sentence_classifier(backbone, classes=2, pooling="mean", dropout=0.1, seed=None):
    """Put a linear head on the encoder: `{token_ids, segment_ids, padding_mask}` -> logits.

    Args:
        backbone: a `keras_hub.models.BertBackbone`, shared, not copied: load a fresh one per model.
        pooling: `"mean"` (`MaskedMeanPooling` of the token vectors; the backbone's unused pooler layer
            is then frozen, as no gradient reaches it) or `"cls"` (the pooled [CLS] output).
        seed: seeds the head's initial weights and its dropout, so models compared on one split
            start from the same head.
    """
    if pooling not in ("mean", "cls"):
        raise ValueError(f"Expected pooling 'mean' or 'cls'; received {pooling!r}.")
    if pooling == "mean":
        backbone.get_layer("pooled_dense").trainable = False
    inputs, outputs = text_encoders.encoder_graph(backbone)
    pooled = (MaskedMeanPooling()(outputs["sequence_output"], inputs["padding_mask"]) if pooling == "mean"
              else outputs["pooled_output"])
    dropped = keras.layers.Dropout(dropout, seed=seed)(pooled)
    logits = keras.layers.Dense(classes, kernel_initializer=keras.initializers.GlorotUniform(seed), name="head")(dropped)
    return keras.Model(inputs, logits, name=f"sentence_classifier_{pooling}")


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What `fine_tune` measured: wall time, steps, and the last epoch's loss."""

    seconds: float
    steps: int
    final_loss: float

    @property
    def seconds_per_step(self):
        return self.seconds / max(self.steps, 1)


def fine_tune(model, tokens, labels, epochs, batch_size, peak_rate, warmup_fraction=0.1):
    """Train `model` with AdamW and lesson 02's warmup then cosine schedule; return a `FitResult`.

    The schedule's length is computed from the data: `epochs * ceil(n / batch_size)` steps, the
    first `warmup_fraction` of them warming up to `peak_rate`.
    """
    steps = int(epochs) * int(np.ceil(len(labels) / batch_size))
    schedule = training.WarmupCosine(peak_rate, total_steps=steps, warmup_steps=int(round(warmup_fraction * steps)))
    model.compile(optimizer=keras.optimizers.AdamW(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    start = time.perf_counter()
    history = model.fit(tokens, np.asarray(labels), batch_size=batch_size, epochs=epochs, verbose=0)
    return FitResult(time.perf_counter() - start, steps, float(history.history["loss"][-1]))


def predict_classes(model, tokens, batch_size=64):
    """Return the arg-max class of each tokenised sentence (plain calls in batches, no retracing)."""
    n = len(next(iter(tokens.values())))
    logits = [ops.convert_to_numpy(model(text_encoders.slice_tokens(tokens, i, i + batch_size), training=False)) for i in range(0, n, batch_size)]
    return np.argmax(np.concatenate(logits), axis=-1)


def enable_lora(backbone, rank):
    """Turn on LoRA in a keras-hub backbone so that only the low-rank factors train; returns `backbone`.

    keras-hub's `backbone.enable_lora(rank)` freezes the backbone and adds factors `A`, `B` to the
    query and value projections, but leaves those projections' biases trainable, and
    `save_lora_weights` does not store biases: a model rebuilt from the checkpoint and the saved
    factors would then differ from the one you trained. Freezing the biases makes the saved
    factors (and the head) the whole fine-tuning.
    """
    backbone.enable_lora(int(rank))
    for layer in backbone._flatten_layers(include_self=False):
        if getattr(layer, "lora_enabled", False) and getattr(layer, "bias", None) is not None:
            layer.bias.trainable = False
    return backbone


def save_adapter(model, lora_backbone, folder):
    """Save what LoRA fine-tuning changed: the factors (`adapter.lora.h5`) and the head (`head.npz`).

    Returns:
        list of the written `pathlib.Path`s.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lora_backbone.save_lora_weights(str(folder / "adapter.lora.h5"))
    np.savez(folder / "head.npz", *[w.numpy() for w in model.get_layer("head").weights])
    return [folder / "adapter.lora.h5", folder / "head.npz"]


def load_adapter(model, backbone, folder):
    """Load `save_adapter`'s files into a classifier built on a fresh copy of the pretrained backbone."""
    backbone.load_lora_weights(str(Path(folder) / "adapter.lora.h5"))
    with np.load(Path(folder) / "head.npz") as stored:
        model.get_layer("head").set_weights([stored[f"arr_{i}"] for i in range(len(stored.files))])
    return model


def saved_bytes(model, lora_backbone=None):
    """Return the bytes you must store to keep the fine-tuning: every weight, or LoRA's and the head's.

    Args:
        model: the fine-tuned classifier.
        lora_backbone: its backbone when LoRA was enabled on it: then only `save_adapter`'s files
            count; the pretrained checkpoint is shared.
    """
    with tempfile.TemporaryDirectory() as folder:
        if lora_backbone is None:  # the weights alone: `save_weights` would add the optimizer's state
            np.savez(Path(folder) / "all.npz", *[w.numpy() for w in model.weights])
        else:
            save_adapter(model, lora_backbone, folder)
        return sum(p.stat().st_size for p in Path(folder).iterdir())


def domain_accuracies(a, b, folds=5, seed=0):
    """Cross-validated accuracy of a linear probe telling embeddings `a` from embeddings `b`, one per fold."""
    from sklearn.model_selection import StratifiedKFold

    x = np.concatenate([a, b])
    y = np.r_[np.zeros(len(a), int), np.ones(len(b), int)]
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y)
    return np.array([evaluation.fit_probe(x[tr], y[tr]).score(x[te], y[te]) for tr, te in splits])


def cross_site_accuracies(features, labels, folds=5, seed=0):
    """Train a linear probe on each site and test it on every site, fold by fold.

    Args:
        features, labels: `{site: array}`, the same sites in both.

    Returns:
        `{(train_site, test_site): accuracies (folds,)}`. Fold k trains on all but fold k of the
        training site and tests on fold k of the test site, so in-domain and cross-site scores use
        the same training sets and the same number of test sentences.
    """
    from sklearn.model_selection import StratifiedKFold

    parts = {s: list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(features[s], labels[s])) for s in features}
    scores = {}
    for source in features:
        probes = [evaluation.fit_probe(features[source][tr], labels[source][tr]) for tr, _ in parts[source]]
        for target in features:
            scores[source, target] = np.array([p.score(features[target][te], labels[target][te])
                                               for p, (_, te) in zip(probes, parts[target])])
    return scores
