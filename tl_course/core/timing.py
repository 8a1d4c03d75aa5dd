"""Wall-clock timing that a busy machine disturbs least: the fastest of several runs, taken in turns.

Used by `03_multi_task` (`compare_predict_times`, `compare_train_step_times`)
and by `tl-course bench`.
"""

import time

__all__ = ["compare_predict_times", "compare_train_step_times", "fastest_in_turns", "time_predict"]


def fastest_in_turns(calls, repeats):
    """Run each of `calls` once per round, for `repeats` rounds; return each one's fastest time.

    Taking turns (A, B, C, A, B, C, ...) means a burst of other work on the machine slows the
    calls alike, instead of one of them; the minimum is the run least disturbed by it.

    Args:
        calls: list of functions taking no argument.
        repeats: rounds, at least 1.

    Returns:
        list of seconds, one per call, in the order given.

    Raises:
        ValueError: `repeats` is below 1.
    """
    if repeats < 1:
        raise ValueError(f"Expected repeats >= 1; received {repeats}.")
    best = [float("inf")] * len(calls)
    for _ in range(repeats):
        for i, call in enumerate(calls):
            start = time.perf_counter()
            call()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def time_predict(model, inputs, batch_size=64, repeats=3):
    """Time `model.predict` on `inputs`; return the fastest of `repeats` runs, in seconds.

    One untimed call first builds the prediction function. The minimum is the
    figure least disturbed by other work on a shared machine.
    """
    return compare_predict_times([model], inputs, batch_size, repeats)[0]


def compare_predict_times(models, inputs, batch_size=64, repeats=5):
    """Time several models on the same inputs, taking turns; return each one's fastest run.

    The models run in rounds (A, B, C, A, B, C, ...), so a burst of other work
    on the machine slows them alike instead of one of them.

    Args:
        models: list of Keras models that accept `inputs`.
        inputs: array `(n, ...)`.
        batch_size: images per forward pass.
        repeats: timed rounds, at least 1.

    Returns:
        list of seconds, one per model, in the order given.
    """
    calls = [lambda m=model: m.predict(inputs, batch_size=batch_size, verbose=0) for model in models]
    for model in models:  # build each prediction function outside the timing
        model.predict(inputs[:batch_size], batch_size=batch_size, verbose=0)
    return fastest_in_turns(calls, repeats)


def compare_train_step_times(models, inputs, targets, repeats=10):
    """Time one training step of several compiled models, taking turns; return each one's fastest.

    Each model trains on the same batch `inputs` with its own `targets`
    (`model.train_on_batch`), so the models' weights change: time copies, not
    the models you evaluate.

    Args:
        models: list of compiled Keras models that accept `inputs`.
        inputs: one batch, array `(batch, ...)`.
        targets: list of targets, one per model (an array or a dict by output name).
        repeats: timed rounds, at least 1.

    Returns:
        list of seconds per step, one per model, in the order given.
    """
    if len(targets) != len(models):
        raise ValueError(f"Expected one target per model ({len(models)}); received {len(targets)}.")
    calls = [lambda m=model, y=y: m.train_on_batch(inputs, y) for model, y in zip(models, targets)]
    for call in calls:  # build each training function outside the timing
        call()
    return fastest_in_turns(calls, repeats)
