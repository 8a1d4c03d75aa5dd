"""Sequential transfer: adapters, stage saving, distillation, rehearsal weights, paired comparison."""

import keras
import numpy as np
import pytest

from tl_course import models, sequential


def _stage(dim=8, units=4, classes=3, name="intermediate"):
    adapter = sequential.build_adapter(dim, units)
    return sequential.stack(adapter, models.build_head(units, classes, name=name), name="stage"), adapter


def test_adapter_and_stack_share_layers():
    stage, adapter = _stage()
    assert stage.output_shape == (None, 3)
    assert models.count_params(adapter).trainable == 8 * 4 + 4
    adapter.get_layer("dense").kernel.assign(np.zeros((8, 4), "float32"))
    assert np.allclose(stage.get_layer("adapter").get_layer("dense").kernel.numpy(), 0)  # shared, not copied
    with pytest.raises(ValueError, match="units > 0"):
        sequential.build_adapter(8, 0)


def test_saved_stage_reloads_and_continues(tmp_path):
    stage, _ = _stage()
    x = np.random.default_rng(0).normal(size=(12, 8)).astype("float32")
    stage.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    stage.fit(sequential.array_dataset(x, np.arange(12) % 3, batch_size=4), epochs=2, verbose=0)
    stage.save(tmp_path / "stage1.keras")
    reloaded = keras.saving.load_model(tmp_path / "stage1.keras")
    assert np.array_equal(stage.predict(x, verbose=0), reloaded.predict(x, verbose=0))
    adapter = reloaded.get_layer("adapter")
    nxt = sequential.stack(adapter, models.build_head(4, 2, name="target"))
    assert nxt.output_shape == (None, 2)
    for old, new in zip(stage.get_layer("adapter").weights, adapter.weights):
        assert np.array_equal(old.numpy(), new.numpy())


def test_two_heads_and_zero_sample_weight_leave_old_head_alone():
    stage, adapter = _stage()
    old_head = stage.get_layer("intermediate")
    model = sequential.two_heads(adapter, old_head, models.build_head(4, 2, name="target"))
    x = np.random.default_rng(1).normal(size=(6, 8)).astype("float32")
    out = model(x)
    assert set(out) == {"intermediate", "target"} and out["target"].shape == (6, 2)
    before = models.snapshot_weights(old_head)
    y = {"intermediate": np.zeros(6, int), "target": np.arange(6) % 2}
    weight = {"intermediate": np.zeros(6), "target": np.ones(6)}
    loss = {"intermediate": "sparse_categorical_crossentropy", "target": "sparse_categorical_crossentropy"}
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss=loss)
    model.fit(sequential.array_dataset(x, y, sample_weight=weight), epochs=3, verbose=0)
    assert models.moved_weights(before, old_head) == []
    weight["intermediate"] = np.ones(6)
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss=loss)
    model.fit(sequential.array_dataset(x, y, sample_weight=weight), epochs=3, verbose=0)
    assert models.moved_weights(before, old_head) != []
    with pytest.raises(ValueError, match="different names"):
        sequential.two_heads(adapter, old_head, old_head)


def test_soften():
    p = np.array([[0.7, 0.2, 0.1], [1.0, 0.0, 0.0]], "float32")
    assert np.allclose(keras.ops.convert_to_numpy(sequential.soften(p, 1.0)), p, atol=1e-6)
    soft = keras.ops.convert_to_numpy(sequential.soften(p, 2.0))
    assert np.allclose(soft.sum(axis=1), 1) and np.allclose(soft[0], [0.5229, 0.2795, 0.1976], atol=1e-4)
    assert np.allclose(keras.ops.convert_to_numpy(sequential.soften(p[:1], 1e4)), 1 / 3, atol=1e-3)
    with pytest.raises(ValueError, match="temperature > 0"):
        sequential.soften(p, 0)


def test_distillation_loss(tmp_path):
    one_hot = np.eye(3, dtype="float32")[[0, 2]]
    pred = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]], "float32")
    ce = keras.losses.CategoricalCrossentropy()(one_hot, pred)
    assert np.isclose(float(sequential.DistillationLoss(1.0)(one_hot, pred)), float(ce), atol=1e-5)
    loss = sequential.DistillationLoss(2.0)
    assert float(loss(pred, pred)) < float(loss(pred, pred[:, ::-1]))  # matching the old outputs is cheapest
    with pytest.raises(ValueError, match="temperature > 0"):
        sequential.DistillationLoss(-1.0)
    stage, _ = _stage()
    stage.compile(optimizer="adam", loss=loss)
    stage.save(tmp_path / "distilled.keras")
    assert keras.saving.load_model(tmp_path / "distilled.keras").loss.temperature == 2.0


def test_per_class_sample():
    labels = np.repeat([0, 1, 2], [5, 6, 7])
    chosen = sequential.per_class_sample(labels, 4, seed=3)
    assert np.bincount(labels[chosen]).tolist() == [4, 4, 4] and len(set(chosen)) == 12
    assert np.array_equal(chosen, sequential.per_class_sample(labels, 4, seed=3))
    assert not np.array_equal(chosen, sequential.per_class_sample(labels, 4, seed=4))
    with pytest.raises(ValueError, match="at least 6 examples of class 0, received 5"):
        sequential.per_class_sample(labels, 6)


def test_array_dataset_and_accuracy():
    x = np.arange(10, dtype="float32").reshape(5, 2)
    batches = list(sequential.array_dataset(x, np.arange(5), batch_size=2).as_numpy_iterator())
    assert [len(b[0]) for b in batches] == [2, 2, 1]
    assert sorted(np.concatenate([b[1] for b in batches]).tolist()) == [0, 1, 2, 3, 4]
    inputs = keras.Input((2,))
    model = keras.Model(inputs, {"a": keras.layers.Lambda(lambda t: keras.ops.stack([t[:, 0], t[:, 1]], axis=1))(inputs)})
    assert sequential.accuracy(model, x, np.ones(5, int), output="a") == 1.0
    assert sequential.accuracy(model, x, np.zeros(5, int), output="a") == 0.0


def test_compare_paired():
    a = np.array([0.80, 0.82, 0.78, 0.81])
    assert sequential.compare_paired(a, a - 0.05).verdict == "a"
    assert sequential.compare_paired(a - 0.05, a).verdict == "b"
    tie = sequential.compare_paired(a, a + np.array([0.02, -0.02, 0.01, -0.01]))
    assert tie.verdict == "tie" and np.isclose(tie.mean_diff, 0)
    # mean / standard error = 2.4: beyond 2, but within Student's t for 4 degrees of freedom (2.776)
    diffs = np.array([0.05, 0.01, 0.03, 0.06, -0.005])
    small = sequential.compare_paired(diffs, np.zeros(5))
    half = 2.776 * diffs.std(ddof=1) / np.sqrt(5)
    assert small.verdict == "tie" and np.allclose(small.ci, (diffs.mean() - half, diffs.mean() + half))
    assert sequential.compare_paired(np.tile(diffs, 4), np.zeros(20)).verdict == "a"  # more runs, same effect
    with pytest.raises(ValueError, match="equal-length"):
        sequential.compare_paired([0.1], [0.2])


def test_runs_figure():
    fig = sequential.runs_figure({"accuracy": {"x": [0.5, 0.6], "y": [0.7, 0.8]}, "forgetting": {"x": [0, 0.1], "y": [0.2, 0.3]}})
    assert len(fig.axes) == 2 and [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["x", "y"]
