"""Pretrained text encoders (keras-hub BERTs from the model registry): tokens, pooled sentence vectors, a cache.

Taught in `08_text_transfer`; `09_few_and_zero_shot` embeds class names with it. A checkpoint is
found by `checkpoints.checkpoint_path` (offline in `$TL_COURSE_MODELS`), loaded with keras-hub
(`load_encoder`), sentences become token arrays once (`tokenize`), and the frozen encoder's
mean-pooled vectors are cached on disk (`embed_sentences`).

Example:

>>> backbone, preprocessor = load_encoder(sequence_length=32)                        # doctest: +SKIP
>>> vectors = embed_sentences(backbone, preprocessor, ["Great phone."])["mean"]      # doctest: +SKIP
"""

import hashlib

import keras
import numpy as np
from keras import ops

from tl_course.core import checkpoints, embedding_cache

__all__ = ["MaskedMeanPooling", "embed_sentences", "encoder_graph", "load_encoder", "slice_tokens", "tokenize"]


def load_encoder(name="all_minilm_l6_v2", sequence_length=32):
    """Load a registered BERT checkpoint with keras-hub: `(backbone, preprocessor)`.

    The checkpoint comes from its local folder (`core.checkpoints.checkpoint_path`), or is
    downloaded when the course is online. The preprocessor turns raw strings into `token_ids`,
    `segment_ids` and `padding_mask` of `sequence_length` tokens ([CLS] ... [SEP], then padding).
    """
    import keras_hub

    folder = str(checkpoints.checkpoint_path(name))
    backbone = keras_hub.models.BertBackbone.from_preset(folder)
    tokenizer = keras_hub.models.BertTokenizer.from_preset(folder)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=int(sequence_length))
    return backbone, preprocessor


def tokenize(preprocessor, texts, batch_size=512):
    """Return the preprocessor's inputs for `texts` as numpy arrays: `{name: (n, sequence_length)}`."""
    texts = [str(t) for t in texts]
    parts = [preprocessor(texts[i:i + batch_size]) for i in range(0, len(texts), batch_size)]
    return {k: np.concatenate([ops.convert_to_numpy(p[k]) for p in parts]) for k in parts[0]}


def slice_tokens(tokens, start, stop):
    """Return rows `start:stop` of every array of a `tokenize` result."""
    return {k: v[start:stop] for k, v in tokens.items()}


@keras.saving.register_keras_serializable(package="tl_course")
class MaskedMeanPooling(keras.layers.Layer):
    """Average the token vectors of a sequence over its real tokens only (padding ignored).

    Call with `(sequence (batch, length, dim), padding_mask (batch, length))`; returns
    `(batch, dim)`. A sentence with no real token gives zeros.
    """

    def call(self, sequence, padding_mask):
        weights = ops.expand_dims(ops.cast(padding_mask, sequence.dtype), -1)
        return ops.sum(sequence * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)


def encoder_graph(backbone):
    """Return `(inputs, outputs)` of `backbone` called on symbolic `token_ids`, `segment_ids`, `padding_mask`."""
    inputs = {name: keras.Input((None,), dtype="bool" if name == "padding_mask" else "int32", name=name)
              for name in ("token_ids", "segment_ids", "padding_mask")}
    outputs = backbone(inputs)
    return inputs, outputs


def embed_sentences(backbone, preprocessor, texts, batch_size=64, cache_dir=None):
    """Sentence embeddings of the frozen encoder, computed once and cached on disk.

    Returns:
        `{"mean": float32 (n, dim), "cls": float32 (n, dim)}`: the mean of the token vectors over
        real tokens (what all-MiniLM was trained to give), and BERT's pooled [CLS] output (the
        [CLS] vector through the checkpoint's pooler layer).
    """
    inputs, outputs = encoder_graph(backbone)
    pooled = MaskedMeanPooling()(outputs["sequence_output"], inputs["padding_mask"])
    both = keras.Model(inputs, ops.concatenate([pooled, outputs["pooled_output"]], axis=-1))

    def encode(batch):
        return ops.convert_to_numpy(both(tokenize(preprocessor, batch), training=False))

    vocabulary = "\n".join(preprocessor.tokenizer.get_vocabulary())
    key = {"vocabulary": hashlib.sha256(vocabulary.encode()).hexdigest(), "lowercase": preprocessor.tokenizer.lowercase,
           "sequence_length": int(preprocessor.sequence_length), "outputs": "mean+cls"}
    found = embedding_cache.embed_texts(backbone, encode, list(texts), key, batch_size=batch_size, cache_dir=cache_dir)
    width = found.features.shape[1] // 2
    return {"mean": found.features[:, :width], "cls": found.features[:, width:]}
