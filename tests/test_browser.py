"""Lesson 00 in JupyterLab in a real browser: it opens, every cell runs, and nothing shows in red.

The nbval run (test_notebooks.py) checks what the kernel computes; this test checks what a learner
sees. It starts JupyterLab from the environment running the tests on a free port of 127.0.0.1, in
its own process group, with the course settings of this process (KERAS_HOME, TL_COURSE_DATA,
TL_COURSE_OFFLINE, TL_COURSE_CACHE) plus TL_COURSE_QUICK=1; opens a copy of lesson 00 in headless
Chromium driven by Playwright (the system's Chromium: `apt-get install chromium`, or set CHROMIUM
to a Chrome/Chromium binary; Playwright's own browser download is never used); runs all cells; and
fails on any traceback or stderr output: a learner sees stderr as a red block, whether it is an
error, a warning or a notice. A screenshot of the notebook is saved in the test's temporary folder.
Skips, saying why, where Playwright or Chromium is missing (fails instead under .ci/run, which sets
TL_COURSE_BROWSER_TEST=required).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "notebooks" / "00_setup.ipynb"
SERVER_START_S, KERNEL_READY_S, RUN_ALL_S, STOP_S = 90, 120, 600, 30
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'  # tracebacks render here too

# True once Run All is over: the kernel is idle, no cell is queued or running ([*]) and one has run
# ([n]); cells after an error stay [ ], as Run All stops there.
_DONE = """() => {
    const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
        .map(p => p.textContent.trim());
    return prompts.some(p => /\\[\\d+\\]/.test(p)) && !prompts.some(p => p.includes('*'))
        && document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]') !== null;
}"""

# True once the notebook's kernel is connected and idle (the status bar says idle once before that).
_KERNEL_READY = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle'
        && document.querySelectorAll('.jp-Notebook .jp-CodeCell').length > 0;
}"""

# [cell number, prompt, text] of every stderr stream or traceback shown in the notebook, as the learner sees them,
# then the same from the notebook's model (every cell, rendered or not).
_RED = """(selector) => {
    const shown = [...document.querySelectorAll('.jp-Notebook .jp-Cell')].flatMap((cell, i) =>
        [...cell.querySelectorAll(selector)].map(out => [i,
            (cell.querySelector('.jp-InputArea-prompt') || {textContent: ''}).textContent.trim(), out.textContent]));
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    const stored = cells.flatMap((cell, i) => cell.model.type !== 'code' ? [] : cell.model.outputs.toJSON()
        .filter(o => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'))
        .map(o => [i, `[${cell.model.executionCount}]:`, o.output_type === 'error'
            ? `${o.ename}: ${o.evalue}` : [].concat(o.text).join('')]));
    const first = document.querySelector(selector);
    (first ? first : document.querySelector('.jp-Notebook .jp-Cell')).scrollIntoView();
    return [shown, stored];
}"""

# JupyterLab settings of the test's own (a learner's are never read): every cell stays in the page, no news prompt.
_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}


def _chromium():
    """Return the path of a Chromium binary, or None."""
    named = os.environ.get("CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status


@pytest.fixture
def playwright_chromium():
    """Return (playwright.sync_api, the Chromium binary); skip, saying why, where either is missing."""
    missing = pytest.fail if os.environ.get("TL_COURSE_BROWSER_TEST") == "required" else pytest.skip  # .ci/run
    try:
        from playwright import sync_api
    except ImportError:
        missing("Playwright not installed: it is in the dev extra (`make install-dev`)")
    chromium = _chromium()
    if chromium is None:
        missing("Chromium not found: `apt-get install chromium` (.ci/run does), or set CHROMIUM to its path")
    return sync_api, chromium


@pytest.fixture
def jupyterlab(tmp_path):
    """Serve `tmp_path` (holding a copy of lesson 00) with JupyterLab; yield its URL and token; always stop it."""
    shutil.copy(LESSON, tmp_path / LESSON.name)
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path / "jupyter"  # the learner's settings and workspaces stay out of the test, and the test out of them
    for name, values in _SETTINGS.items():
        (home / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
        (home / "settings" / name).write_text(json.dumps(values))
    env = dict(os.environ, TL_COURSE_QUICK="1", JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    env.pop("MPLBACKEND", None)  # `make test` sets Agg; a learner's kernel draws inline
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # nor has a learner quieted TensorFlow before the lesson does
    for name in [name for name in env if name.startswith("PYTEST_")]:
        del env[name]  # with PYTEST_CURRENT_TEST set, ipykernel would not forward C++ stderr to the notebook
    log = open(tmp_path / "jupyterlab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", "--allow-root", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(tmp_path / 'jupyterlab.log').read_text()}")
            try:
                if _get(f"{base}/api/status?token={token}") == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab not up on {base} after {SERVER_START_S} s: see {tmp_path / 'jupyterlab.log'}")
            time.sleep(0.5)
        yield base, token
    finally:
        _stop(server, base, token)
        log.close()


def _stop(server, base, token):
    """Ask the server to shut down (it stops its kernels), then end its process group whatever happened."""
    if server.poll() is None:
        try:
            urllib.request.urlopen(urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST"),
                                   timeout=5)
            server.wait(timeout=STOP_S)
        except (OSError, subprocess.TimeoutExpired):
            pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)  # the group we started: the server and any kernel it left behind
        except ProcessLookupError:
            break
        time.sleep(1)
    server.wait(timeout=STOP_S)


def test_lesson_00_runs_in_jupyterlab_without_red_output(playwright_chromium, jupyterlab, tmp_path):
    sync_api, chromium = playwright_chromium
    base, token = jupyterlab
    screenshot = tmp_path / "00_setup.png"
    started = time.monotonic()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.set_default_timeout(KERNEL_READY_S * 1000)
            page.goto(f"{base}/lab/tree/{LESSON.name}?reset&token={token}")
            page.wait_for_function(_KERNEL_READY, polling=500)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(_DONE, timeout=RUN_ALL_S * 1000, polling=500)
            shown, stored = page.evaluate(_RED, STDERR)  # and scrolls to the first red output, for the screenshot
            prompts = page.evaluate("() => [...document.querySelectorAll("
                                    "'.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim())")
        finally:
            try:
                page.screenshot(path=screenshot)
                print(f"\nscreenshot of lesson 00 in JupyterLab: {screenshot}")
            finally:
                browser.close()
    print(f"lesson 00 opened and ran in JupyterLab in {time.monotonic() - started:.0f} s")
    red = "\n".join(f"--- cell {i} {prompt}\n{text.strip()}" for i, prompt, text in shown or stored)
    assert not shown and not stored, \
        f"lesson 00 shows red output (tracebacks or stderr) in JupyterLab; screenshot {screenshot}:\n{red}"
    assert all(p.strip("[]:").isdigit() for p in prompts), f"not every cell ran: prompts {prompts}"
