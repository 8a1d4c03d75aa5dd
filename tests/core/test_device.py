"""Device plan: GPUs, mixed precision, distribution."""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tl_course.core import device, model_builders

V100 = {"name": "Tesla V100", "compute_capability": (7, 0)}


K80 = {"name": "Tesla K80", "compute_capability": (3, 7)}


A100 = {"name": "A100", "compute_capability": (8, 0)}


@pytest.fixture(autouse=True)
def _restore_policy():
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("gpus,policy,strategy", [
    ([], "float32", "default"),
    ([K80], "float32", "default"),
    ([V100], "mixed_float16", "default"),
    ([A100, A100], "mixed_float16", "mirrored"),
    ([A100, K80], "float32", "mirrored"),
    ([{"name": "unknown", "compute_capability": None}], "float32", "default"),
])
def test_plan(gpus, policy, strategy):
    setup = device.plan_device(gpus)
    assert (setup.policy, setup.strategy) == (policy, strategy)
    assert setup.summary.count("\n") == 0 and (("CPU" in setup.summary) == (not gpus))


def test_plan_overrides_and_rejects_bad_value():
    assert device.plan_device([V100], mixed_precision=False).policy == "float32"
    assert device.plan_device([K80], mixed_precision=True).policy == "mixed_float16"
    assert device.plan_device([], mixed_precision=True).policy == "float32"
    with pytest.raises(ValueError, match="mixed_precision"):
        device.plan_device([V100], mixed_precision="yes")


def test_configure_applies_memory_growth_policy_and_mirrored(monkeypatch, capsys):
    calls = {"growth": [], "mirrored": 0}
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth", lambda dev, on: calls["growth"].append((dev, on)))

    class FakeMirrored:
        def __init__(self):
            calls["mirrored"] += 1

    monkeypatch.setattr(tf.distribute, "MirroredStrategy", FakeMirrored)
    gpus = [dict(A100, device="gpu0"), dict(A100, device="gpu1")]
    setup, strategy = device.configure(gpus)
    assert calls["growth"] == [("gpu0", True), ("gpu1", True)]
    assert calls["mirrored"] == 1 and isinstance(strategy, FakeMirrored)
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    assert capsys.readouterr().out.strip() == setup.summary


def test_configure_on_this_cpu():
    setup, strategy = device.configure(verbose=False)
    if not tf.config.list_physical_devices("GPU"):
        assert setup.policy == "float32" and strategy.num_replicas_in_sync == 1


def test_mixed_precision_head_trains_with_float32_outputs():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = model_builders.build_head(8, 3)
    assert model.get_layer("predictions").dtype_policy.name == "float32"
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    x = np.random.default_rng(0).normal(size=(16, 8)).astype("float32")
    history = model.fit(x, np.arange(16) % 3, epochs=2, verbose=0)
    assert model.predict(x, verbose=0).dtype == np.float32 and np.all(np.isfinite(history.history["loss"]))


def test_mirrored_strategy_trains_on_two_logical_cpus():
    """MirroredStrategy's code path, run for real on two logical CPU devices."""
    script = textwrap.dedent("""
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import keras
        keras.utils.set_random_seed(0)
        from tl_course.core import model_builders
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        with strategy.scope():
            model = model_builders.build_head(4, 2)
            model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
        x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
        h = model.fit(x, (x[:, 0] > 0).astype(int), epochs=10, batch_size=16, verbose=0)
        print("REPLICAS", strategy.num_replicas_in_sync, "LOSS", h.history["loss"][0], h.history["loss"][-1])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    words = out.stdout.split()
    assert words[words.index("REPLICAS") + 1] == "2"
    first, last = float(words[words.index("LOSS") + 1]), float(words[words.index("LOSS") + 2])
    assert np.isfinite(last) and last < 0.8 * first, (first, last)
