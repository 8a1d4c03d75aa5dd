"""Lesson 08's helpers on tiny real inputs: review files, pooling with padding, LoRA, probes across sites."""

import warnings

import keras
import keras_hub
import numpy as np
import pytest

from tl_course.core import freezing
from tl_course.lessons import text_transfer

VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "bad", "phone", "food", "film", "great", "awful"]


def _tiny_encoder(seed=0, width=8):
    keras.utils.set_random_seed(seed)
    return keras_hub.models.BertBackbone(vocabulary_size=len(VOCABULARY), num_layers=1, num_heads=2, hidden_dim=width,
                                         intermediate_dim=2 * width, max_sequence_length=16)


def _preprocessor(length=8):
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=VOCABULARY, lowercase=True)
    return keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=length)


def test_load_reviews_tolerates_crlf_header_spaces_and_u0085(tmp_path):
    (tmp_path / "imdb_labelled.txt").write_bytes(
        "sentence\tlabel\r\nA great film.  \t1\r\nAwful\u0085 truly awful.\t0\r\n\r\nno label here\n".encode())
    with pytest.warns(UserWarning, match=r"skipped 1 lines .*\[5\]"):
        texts, labels = text_transfer.load_reviews(tmp_path, "imdb")
    assert list(texts) == ["A great film.", "Awful\u0085 truly awful."]
    assert labels.tolist() == [1, 0] and labels.dtype == np.int64


def test_load_reviews_clean_file_warns_nothing(tmp_path):
    (tmp_path / "yelp_labelled.txt").write_text("Good food.\t1\nBad food.\t0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        texts, labels = text_transfer.load_reviews(tmp_path, "yelp")
    assert list(texts) == ["Good food.", "Bad food."] and labels.tolist() == [1, 0]


def test_load_reviews_says_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="amazon_cells, yelp, imdb; received 'twitter'"):
        text_transfer.load_reviews(tmp_path, "twitter")
    with pytest.raises(FileNotFoundError, match="amazon_cells_labelled.txt"):
        text_transfer.load_reviews(tmp_path, "amazon_cells")


def test_pick_sequence_length_covers_the_share_and_rounds_up():
    lengths = np.r_[np.full(95, 10), np.full(5, 60)]
    assert text_transfer.pick_sequence_length(lengths, 0.95) == 16
    assert text_transfer.pick_sequence_length(lengths, 1.0) == 64
    with pytest.raises(ValueError, match=r"coverage in \(0, 1\]"):
        text_transfer.pick_sequence_length(lengths, 0)


def test_lora_leaves_the_original_kernels_unchanged_and_saves_little():
    tokens = text_transfer.tokenize(_preprocessor(8), ["good phone", "bad phone", "great food", "awful food"] * 4)
    labels = np.array([1, 0, 1, 0] * 4)
    encoder = _tiny_encoder(width=64)  # wide enough that the weights outweigh the files' own overhead
    text_transfer.enable_lora(encoder, 2)
    model = text_transfer.sentence_classifier(encoder, pooling="mean")
    before = freezing.snapshot_weights(encoder)
    fit = text_transfer.fine_tune(model, tokens, labels, epochs=2, batch_size=4, peak_rate=1e-2)
    assert fit.steps == 8 and fit.seconds_per_step > 0
    moved = freezing.moved_weights(before, encoder)
    assert moved and all("lora_kernel" in path for path in moved), moved
    full = text_transfer.sentence_classifier(_tiny_encoder(width=64), pooling="cls")
    assert text_transfer.saved_bytes(model, lora_backbone=encoder) < text_transfer.saved_bytes(full)
    assert text_transfer.predict_classes(model, tokens, batch_size=3).shape == (16,)


def test_sentence_classifier_pooling_choices():
    encoder = _tiny_encoder()
    mean = text_transfer.sentence_classifier(encoder, pooling="mean")
    assert not encoder.get_layer("pooled_dense").trainable, "no gradient reaches the pooler under mean pooling"
    assert mean.output.shape == (None, 2)
    with pytest.raises(ValueError, match="'mean' or 'cls'; received 'max'"):
        text_transfer.sentence_classifier(encoder, pooling="max")


def test_domain_and_cross_site_probes(blobs):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(40, 6)), rng.normal(size=(40, 6)) + 3.0
    assert text_transfer.domain_accuracies(a, b, folds=4).mean() > 0.9
    same = text_transfer.domain_accuracies(a[:20], a[20:], folds=4).mean()
    assert same < 0.9, "two halves of one domain should not look apart"
    x, y = blobs(30, 0)
    cross = text_transfer.cross_site_accuracies({"s": x, "t": x + 0.01}, {"s": y, "t": y}, folds=3)
    assert set(cross) == {("s", "s"), ("s", "t"), ("t", "s"), ("t", "t")}
    assert all(v.shape == (3,) for v in cross.values())
    assert np.allclose(cross["s", "s"], cross["s", "t"], atol=0.2)
