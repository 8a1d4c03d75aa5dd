"""Load TensorFlow without its start-up notices; its warnings and errors still show.

Taught in `00_setup`, imported by every lesson before `keras` and `tensorflow`:

    from tl_course.core import quiet  # before keras: TensorFlow starts without its notices

Importing this module is its one action, the exception to "no state changed at import": a
notice is printed while TensorFlow loads, so the switch has to come before that import, in
one line that every lesson shares. On a machine without an NVIDIA driver, `import
tensorflow` writes, from C++ straight to file descriptor 2 (a notebook shows it as a red
block), these lines; none is an error:

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:1796297249.649068   11542 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
    I0000 00:00:1796297250.546946   11542 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use ...
    To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with ...

On some CPUs (an AMD EPYC, for one) `import tensorflow` also writes, twice, an INFO line that
`TF_CPP_MIN_LOG_LEVEL` does not stop either:

    I0000 00:00:1796399814.979431   31058 port.cc:153] oneDNN custom operations are on. You may see ...

and the first device query adds, at ERROR level, the consequence of the missing driver:

    E0000 00:00:1796297261.312672   11542 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: ...

`TF_CPP_MIN_LOG_LEVEL=1` (INFO off, WARNING and ERROR on) removes the `cpu_feature_guard`
notice, but not the `cudart_stub` ones: those are logged through absl before TensorFlow reads
the variable (even level 3 keeps them: tensorflow/tensorflow#100442). So `quiet_tensorflow`
sets the variable, then imports TensorFlow and queries its devices with file descriptor 2
passed through a filter that drops those INFO lines, their absl header, and the cuInit error
only when the driver was reported missing. Every other line goes through at once, in order.
"""

import os
import re
import sys
import threading

__all__ = ["LOG_LEVEL", "NOTICES", "quiet_tensorflow", "without_notices"]

LOG_LEVEL = "1"  # TensorFlow's C++ logs: 0 everything, 1 no INFO, 2 no WARNING either, 3 no ERROR either

_LOG_PREFIX = r"[IWEF]\d{4} [\d:.]+ +\d+ "
NOTICES = (
    re.compile(r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"),
    re.compile(r"I\d{4} [\d:.]+ +\d+ cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine, "
               r"GPU will not be used\."),    # on CPUs where TensorFlow turns oneDNN's custom operations on (seen on AMD EPYC), once per loaded library
    re.compile(r"I\d{4} [\d:.]+ +\d+ port\.cc:\d+\] oneDNN custom operations are on\. .*"),
)
_NO_DRIVER = NOTICES[1]
_CUINIT_WITHOUT_DRIVER = re.compile(_LOG_PREFIX + r"cuda_platform\.cc:\d+\] failed call to cuInit: ")


class _Filter:
    """Pass lines through, dropping the notices; the cuInit error only once the driver was reported missing."""

    def __init__(self):
        self.no_driver = False

    def keeps(self, line):
        text = line.rstrip("\r\n")
        if _NO_DRIVER.fullmatch(text):
            self.no_driver = True
        if any(notice.fullmatch(text) for notice in NOTICES):
            return False
        return not (self.no_driver and _CUINIT_WITHOUT_DRIVER.match(text))


def without_notices(text):
    """Return `text` (TensorFlow's stderr) without the start-up notices this module hides.

    Args:
        text: str, lines ending in newlines.

    Returns:
        str, the other lines, in order and unchanged.
    """
    kept = _Filter()
    return "".join(line for line in text.splitlines(keepends=True) if kept.keeps(line))


def _forward(read_fd, write_fd):
    """Copy lines from `read_fd` to `write_fd` until end of file, dropping the notices."""
    kept, pending = _Filter(), b""
    with os.fdopen(read_fd, "rb", buffering=0) as source:
        while chunk := source.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            out = b"".join(line + b"\n" for line in lines if kept.keeps(line.decode(errors="replace")))
            if out:
                os.write(write_fd, out)
    if pending and kept.keeps(pending.decode(errors="replace")):
        os.write(write_fd, pending)


def quiet_tensorflow():
    """Import TensorFlow and find its devices without the start-up notices, once; return the module.

    Sets `TF_CPP_MIN_LOG_LEVEL` to 1 unless it is set already (set it to 0 before this import to
    see every notice). Does nothing more when TensorFlow is already loaded: its notices are out.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", LOG_LEVEL)
    if "tensorflow" in sys.modules or os.environ["TF_CPP_MIN_LOG_LEVEL"].strip() in ("", "0"):
        import tensorflow as tf

        return tf
    sys.stderr.flush()
    stderr = os.dup(2)
    read_fd, write_fd = os.pipe()
    forwarder = threading.Thread(target=_forward, args=(read_fd, stderr), name="tensorflow-notices", daemon=True)
    forwarder.start()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices()  # the first device query, where cuInit runs
    finally:
        sys.stderr.flush()
        os.dup2(stderr, 2)  # closes the pipe's last writer: the forwarder reads to the end and stops
        forwarder.join(timeout=10)
        if not forwarder.is_alive():  # else a child process still holds the pipe: leave it the descriptor
            os.close(stderr)
    return tf


quiet_tensorflow()
