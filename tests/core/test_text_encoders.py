"""core.text_encoders on a tiny real BERT: pooling with padding, token arrays, the embedding cache."""

import keras
import keras_hub
import numpy as np

from tl_course.core import text_encoders

VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "phone", "food", "film", "great", "awful"]


def _tiny_encoder(seed=0):
    keras.utils.set_random_seed(seed)
    return keras_hub.models.BertBackbone(vocabulary_size=len(VOCABULARY), num_layers=1, num_heads=2, hidden_dim=8,
                                         intermediate_dim=16, max_sequence_length=16)


def _preprocessor(length=8):
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=VOCABULARY, lowercase=True)
    return keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=length)


def test_masked_mean_pooling_ignores_padding_like_numpy():
    rng = np.random.default_rng(0)
    sequence = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], bool)
    pooled = keras.ops.convert_to_numpy(text_encoders.MaskedMeanPooling()(sequence, mask))
    assert np.allclose(pooled[0], sequence[0, :2].mean(axis=0), atol=1e-6)
    assert np.allclose(pooled[1], sequence[1].mean(axis=0), atol=1e-6)
    assert np.allclose(pooled[2], 0.0), "a sentence without real tokens pools to zeros"
    longer = np.concatenate([sequence, rng.normal(size=(3, 4, 4)).astype("float32")], axis=1)
    pooled_longer = text_encoders.MaskedMeanPooling()(longer, np.concatenate([mask, np.zeros((3, 4), bool)], axis=1))
    assert np.allclose(keras.ops.convert_to_numpy(pooled_longer), pooled, atol=1e-6), "more padding changes nothing"


def test_tokenize_and_embed_sentences_are_padding_invariant_and_cached(tmp_path):
    encoder, texts = _tiny_encoder(), ["good phone", "awful food", "great film"]
    short = text_encoders.embed_sentences(encoder, _preprocessor(8), texts, cache_dir=tmp_path)
    tokens = text_encoders.tokenize(_preprocessor(8), texts, batch_size=2)
    assert tokens["token_ids"].shape == (3, 8) and tokens["padding_mask"][0].tolist() == [True] * 4 + [False] * 4
    longer = text_encoders.embed_sentences(encoder, _preprocessor(16), texts, cache_dir=tmp_path)
    assert short["mean"].shape == (3, 8) and short["cls"].shape == (3, 8)
    assert np.allclose(short["mean"], longer["mean"], atol=1e-5)
    assert len(list(tmp_path.glob("*.npz"))) == 2, "the sequence length is part of the cache key"
    again = text_encoders.embed_sentences(encoder, _preprocessor(8), texts, cache_dir=tmp_path)
    assert np.array_equal(again["mean"], short["mean"]) and len(list(tmp_path.glob("*.npz"))) == 2


def test_slice_tokens_cuts_every_array():
    tokens = {"token_ids": np.arange(10).reshape(5, 2), "padding_mask": np.ones((5, 2), bool)}
    part = text_encoders.slice_tokens(tokens, 1, 3)
    assert part["token_ids"].tolist() == [[2, 3], [4, 5]] and part["padding_mask"].shape == (2, 2)
