"""TensorFlow loads without its start-up notices once the course's `quiet` is imported; warnings still show."""

import os
import subprocess
import sys
import textwrap

import pytest

# What `import tensorflow` and the first device query write on a CPU machine without an NVIDIA driver.
START_UP = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796297249.649068   11542 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1796399814.979431   31058 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
E0000 00:00:1796297261.312672   11542 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
"""
CACHE_WARNING = ("W0000 00:00:1796297408.292075   12979 cache_dataset_ops.cc:912] The calling iterator did not fully "
                 "read the dataset being cached.\n")
# the C++ INFO notices TF_CPP_MIN_LOG_LEVEL=1 must remove, and the ones the filter removes
_NOISE = ("cpu_feature_guard.cc", "This TensorFlow binary is optimized", "cudart_stub.cc", "absl::InitializeLog",
          "failed call to cuInit", "oneDNN custom operations")


@pytest.fixture
def quiet(monkeypatch):
    """The module, imported with TF_CPP_MIN_LOG_LEVEL restored afterwards: later tests see this process unchanged."""
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    from tl_course.core import quiet

    return quiet


def test_the_start_up_notices_go_and_everything_else_stays(quiet):
    without_notices = quiet.without_notices
    assert without_notices(START_UP) == ""
    other = "Traceback (most recent call last):\n" + CACHE_WARNING + "UserWarning: a real warning\n"
    assert without_notices(START_UP + other) == other
    assert without_notices(other + START_UP.splitlines(keepends=True)[0]) == other


def test_the_cuinit_error_stays_when_no_missing_driver_explains_it(quiet):
    cuinit = START_UP.splitlines(keepends=True)[3]
    assert quiet.without_notices(cuinit) == cuinit, "a GPU machine whose driver fails must see the error"


def _stderr_of(*programs):
    """Run each program in a fresh Python, all at once; return their stderr (each must succeed)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    runs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for code in programs]
    results = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, results):
        assert run.returncode == 0, err
    return [(out, err) for out, err in results]


def _noise(stderr):
    return sorted({noise for line in stderr.splitlines() for noise in _NOISE if noise in line})


def test_importing_quiet_before_tensorflow_hides_the_notices_and_keeps_warnings():
    code = """
        import gc, os, sys, warnings
        {before}
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
        iterator = iter(tf.data.Dataset.range(10).cache())
        next(iterator)
        del iterator  # a real C++ warning: the cache was only partly filled
        gc.collect()
        warnings.warn("a real Python warning")
        print(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
    """
    (_, loud), (level, quiet), (zero, asked) = _stderr_of(
        code.format(before=""),
        code.format(before="from tl_course.core import quiet"),
        code.format(before="os.environ['TF_CPP_MIN_LOG_LEVEL'] = '0'; from tl_course.core import quiet"))
    assert _noise(loud) or sys.platform != "linux", f"expected TensorFlow's start-up notices without quiet:\n{loud}"
    assert _noise(quiet) == [], f"start-up notices left after `from tl_course.core import quiet`:\n{quiet}"
    assert level.split() == ["1"], "quiet sets TF_CPP_MIN_LOG_LEVEL=1 (INFO off) for TensorFlow and its subprocesses"
    assert (zero.split(), _noise(asked)) == (["0"], _noise(loud)), "a learner who asks for every log gets them"
    for kept in ("cache_dataset_ops.cc", "The calling iterator did not fully read the dataset being cached",
                 "UserWarning: a real Python warning"):
        assert kept in quiet and kept in loud, f"{kept!r} missing from stderr:\n{quiet}"
