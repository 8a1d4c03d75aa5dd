"""Pick the hardware setup: GPUs, memory growth, mixed precision, distribution.

Taught in `00_setup`. `plan_device` is a pure function of the GPU list, so
CPU tests can feed it fake devices; `configure` applies the plan to
TensorFlow and Keras and prints one line saying what will be used.
"""

import dataclasses

__all__ = ["DeviceSetup", "configure", "detect_gpus", "plan_device"]

MIXED_PRECISION_MIN_CAPABILITY = (7, 0)  # Volta and newer have float16 tensor cores


@dataclasses.dataclass(frozen=True)
class DeviceSetup:
    """What the lessons will run on.

    Attributes:
        gpus: GPU names, in device order.
        policy: Keras dtype policy, `"float32"` or `"mixed_float16"`.
        strategy: `"default"` (one device) or `"mirrored"` (several GPUs).
        summary: one line for a learner.
    """

    gpus: tuple
    policy: str
    strategy: str
    summary: str


def detect_gpus():
    """Return `[{"name": ..., "compute_capability": (major, minor) or None}]` for visible GPUs."""
    import tensorflow as tf

    found = []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        found.append({
            "name": details.get("device_name", device.name),
            "compute_capability": details.get("compute_capability"),
            "device": device,
        })
    return found


def plan_device(gpus, mixed_precision="auto"):
    """Decide policy and strategy for a list of GPUs (from `detect_gpus`).

    Args:
        gpus: list of dicts with `name` and `compute_capability`.
        mixed_precision: `"auto"` (on when every GPU has compute capability
            7.0 or more), True, or False.

    Returns:
        `DeviceSetup`.

    Raises:
        ValueError: `mixed_precision` is not "auto", True or False.
    """
    if mixed_precision not in ("auto", True, False):
        raise ValueError(f"Expected mixed_precision 'auto', True or False; received {mixed_precision!r}.")
    names = tuple(g["name"] for g in gpus)
    if mixed_precision == "auto":
        mixed_precision = bool(gpus) and all(
            g.get("compute_capability") is not None and tuple(g["compute_capability"]) >= MIXED_PRECISION_MIN_CAPABILITY
            for g in gpus
        )
    policy = "mixed_float16" if mixed_precision and gpus else "float32"
    strategy = "mirrored" if len(gpus) > 1 else "default"
    if not gpus:
        summary = "Using the CPU (no GPU found): float32, one device. On a CPU, quick mode (TL_COURSE_QUICK=1) keeps each lesson to minutes."
    else:
        where = f"{len(gpus)} GPUs ({', '.join(names)}) with MirroredStrategy" if len(gpus) > 1 else f"GPU {names[0]}"
        summary = f"Using {where}: {policy} policy, memory growth on."
    return DeviceSetup(names, policy, strategy, summary)


def configure(gpus=None, mixed_precision="auto", verbose=True):
    """Apply a device plan: memory growth, dtype policy, distribution strategy.

    Call once, before building models (it sets Keras' global dtype policy).

    Args:
        gpus: GPU list as from `detect_gpus`; None detects them.
        mixed_precision: see `plan_device`.
        verbose: print the one-line summary.

    Returns:
        `(setup, strategy)`: the `DeviceSetup` and a `tf.distribute.Strategy`;
        build and compile models inside `strategy.scope()`.
    """
    import keras
    import tensorflow as tf

    gpus = detect_gpus() if gpus is None else gpus
    setup = plan_device(gpus, mixed_precision)
    for gpu in gpus:
        if gpu.get("device") is not None:
            tf.config.experimental.set_memory_growth(gpu["device"], True)
    keras.mixed_precision.set_global_policy(setup.policy)
    if setup.strategy == "mirrored":
        strategy = tf.distribute.MirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    if verbose:
        print(setup.summary)
    return setup, strategy
