"""Wall-clock timing that a busy machine disturbs least: the fastest of several runs, taken in turns.

Used by `03_multi_task` (through `multitask.compare_predict_times` and
`compare_train_step_times`) and by `tl-course bench`.
"""

import time

__all__ = ["fastest_in_turns"]


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
