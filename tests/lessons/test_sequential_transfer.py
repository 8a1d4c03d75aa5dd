"""Lesson 05's adapters, stages, distillation and rehearsal."""

import keras
import numpy as np
import pytest

from tl_course.core import freezing, model_builders, pipeline
from tl_course.lessons import sequential_transfer


def _stage(dim=8, units=4, classes=3, name="intermediate"):
    adapter = sequential_transfer.build_adapter(dim, units)
    return sequential_transfer.stack(adapter, model_builders.build_head(units, classes, name=name), name="stage"), adapter


def test_adapter_and_stack_share_layers():
    stage, adapter = _stage()
    assert stage.output_shape == (None, 3)
    assert freezing.count_params(adapter).trainable == 8 * 4 + 4
    adapter.get_layer("dense").kernel.assign(np.zeros((8, 4), "float32"))
    assert np.allclose(stage.get_layer("adapter").get_layer("dense").kernel.numpy(), 0)  # shared, not copied
    with pytest.raises(ValueError, match="units > 0"):
        sequential_transfer.build_adapter(8, 0)


def test_saved_stage_reloads_and_continues(tmp_path):
    stage, _ = _stage()
    x = np.random.default_rng(0).normal(size=(12, 8)).astype("float32")
    stage.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    stage.fit(pipeline.array_dataset(x, np.arange(12) % 3, batch_size=4), epochs=2, verbose=0)
    stage.save(tmp_path / "stage1.keras")
    reloaded = keras.saving.load_model(tmp_path / "stage1.keras")
    assert np.array_equal(stage.predict(x, verbose=0), reloaded.predict(x, verbose=0))
    adapter = reloaded.get_layer("adapter")
    nxt = sequential_transfer.stack(adapter, model_builders.build_head(4, 2, name="target"))
    assert nxt.output_shape == (None, 2)
    for old, new in zip(stage.get_layer("adapter").weights, adapter.weights):
        assert np.array_equal(old.numpy(), new.numpy())


def test_weights_file_moves_the_adapter_to_a_head_of_another_size(tmp_path):
    stage, _ = _stage(classes=3)
    x = np.random.default_rng(2).normal(size=(12, 8)).astype("float32")
    stage.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    stage.fit(pipeline.array_dataset(x, np.arange(12) % 3, batch_size=4), epochs=2, verbose=0)
    stage.save_weights(tmp_path / "stage1.weights.h5")
    with pytest.raises(ValueError, match="could not be loaded"):
        _stage(classes=2, name="target")[0].load_weights(tmp_path / "stage1.weights.h5")
    target, adapter = _stage(classes=2, name="target")
    fresh_head = freezing.snapshot_weights(target.get_layer("target"))
    target.load_weights(tmp_path / "stage1.weights.h5", skip_mismatch=True)
    for old, new in zip(stage.get_layer("adapter").weights, adapter.weights):
        assert np.array_equal(old.numpy(), new.numpy())
    assert freezing.moved_weights(fresh_head, target.get_layer("target")) == []
    same, _ = _stage(classes=2, name="target")
    target.save_weights(tmp_path / "stage2.weights.h5")
    same.load_weights(tmp_path / "stage2.weights.h5")
    assert np.array_equal(same.predict(x, verbose=0), target.predict(x, verbose=0))


def test_two_heads_and_zero_sample_weight_leave_old_head_alone():
    stage, adapter = _stage()
    old_head = stage.get_layer("intermediate")
    model = sequential_transfer.two_heads(adapter, old_head, model_builders.build_head(4, 2, name="target"))
    x = np.random.default_rng(1).normal(size=(6, 8)).astype("float32")
    out = model(x)
    assert set(out) == {"intermediate", "target"} and out["target"].shape == (6, 2)
    before = freezing.snapshot_weights(old_head)
    y = {"intermediate": np.zeros(6, int), "target": np.arange(6) % 2}
    weight = {"intermediate": np.zeros(6), "target": np.ones(6)}
    loss = {"intermediate": "sparse_categorical_crossentropy", "target": "sparse_categorical_crossentropy"}
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss=loss)
    model.fit(pipeline.array_dataset(x, y, sample_weight=weight), epochs=3, verbose=0)
    assert freezing.moved_weights(before, old_head) == []
    weight["intermediate"] = np.ones(6)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss=loss)
    model.fit(pipeline.array_dataset(x, y, sample_weight=weight), epochs=3, verbose=0)
    assert freezing.moved_weights(before, old_head) != []
    with pytest.raises(ValueError, match="different names"):
        sequential_transfer.two_heads(adapter, old_head, old_head)


def test_soften():
    p = np.array([[0.7, 0.2, 0.1], [1.0, 0.0, 0.0]], "float32")
    assert np.allclose(keras.ops.convert_to_numpy(sequential_transfer.soften(p, 1.0)), p, atol=1e-6)
    soft = keras.ops.convert_to_numpy(sequential_transfer.soften(p, 2.0))
    assert np.allclose(soft.sum(axis=1), 1) and np.allclose(soft[0], [0.5229, 0.2795, 0.1976], atol=1e-4)
    assert np.allclose(keras.ops.convert_to_numpy(sequential_transfer.soften(p[:1], 1e4)), 1 / 3, atol=1e-3)
    with pytest.raises(ValueError, match="temperature > 0"):
        sequential_transfer.soften(p, 0)


def test_distillation_loss(tmp_path):
    one_hot = np.eye(3, dtype="float32")[[0, 2]]
    pred = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]], "float32")
    ce = keras.losses.CategoricalCrossentropy()(one_hot, pred)
    assert np.isclose(float(sequential_transfer.DistillationLoss(1.0)(one_hot, pred)), float(ce), atol=1e-5)
    loss = sequential_transfer.DistillationLoss(2.0)
    assert float(loss(pred, pred)) < float(loss(pred, pred[:, ::-1]))  # matching the old outputs is cheapest
    with pytest.raises(ValueError, match="temperature > 0"):
        sequential_transfer.DistillationLoss(-1.0)
    stage, _ = _stage()
    stage.compile(optimizer="adam", loss=loss)
    stage.save(tmp_path / "distilled.keras")
    assert keras.saving.load_model(tmp_path / "distilled.keras").loss.temperature == 2.0
