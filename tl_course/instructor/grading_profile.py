"""The fast grading profile: skip the lessons' demonstrations, start every kernel from a warm cache.

`tl-course grade` uses it unless given `--all-cells` (INSTRUCTORS.md, "Fast grading"). Two parts:

- **Demonstrations are skipped.** A lesson tags `demonstration` the code cells that only show
  something (a comparison of three trainings, a plot, a timing) and that no exercise reads. While
  nbgrader autogrades, `SkipDemonstrations` turns those cells into comments before `Execute` runs
  (the feedback shows them, commented out). A cell is skipped when its source is that of a tagged
  cell of the lesson's own copy in `course/source/`: the student's tags are not trusted, a cell
  the student edited runs as edited, and answer and check cells are never skipped. A test reads every lesson and fails
  when a kept cell uses a name that only demonstrations define (`kept_cells_need`).
- **Every kernel starts from a warm cache.** Before the first submission of a lesson, `warm_cache`
  runs the lesson's solution once in the same profile, into `course/cache/NN_topic/` (kept while
  the lesson's source does not change), and fails if any cell of it fails: a lesson that cannot
  run on this machine stops before it zeroes a class. Each submission then gets a fresh copy of
  that cache as its `TL_COURSE_CACHE` (`fresh_cache`), so embeddings are computed once per run and
  one student's kernel cannot change what the next one reads.
"""

import ast
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

__all__ = ["TAG", "SkipDemonstrations", "demonstrations", "environment", "fresh_cache", "kept_cells_need", "skip_demonstrations",
           "warm_cache"]

TAG = "demonstration"
_NOTE = "# skipped by `tl-course grade` (a demonstration no exercise reads); it runs with --all-cells\n"


def _source(cell):
    return "".join(cell.get("source", ""))  # a string, or nbformat's list of lines


def _graded(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade") or meta.get("locked") or meta.get("task"))


def demonstrations(lesson):
    """Return the sources (stripped) of the lesson notebook's code cells tagged `demonstration`.

    Args:
        lesson: the lesson notebook (a dict, or the path of an `.ipynb`).
    """
    nb = json.loads(Path(lesson).read_text()) if not isinstance(lesson, dict) else lesson
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and TAG in c.get("metadata", {}).get("tags", [])
             and not _graded(c)]
    return {_source(c).strip() for c in cells}


def skip_demonstrations(nb, lesson):
    """Comment out, in notebook `nb`, the cells that are demonstrations in `lesson`; return how many.

    A cell of `nb` is skipped when its source is that of a demonstration of `lesson` (an edited copy
    runs); nbgrader cells (answers, checks, locked cells) never are.
    """
    sources = demonstrations(lesson)
    skipped = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or _graded(cell):
            continue
        if _source(cell).strip() in sources:
            lines = _source(cell).splitlines()
            cell["source"] = _NOTE + "\n".join(f"# {line}" if line else "#" for line in lines)
            cell["outputs"], cell["execution_count"] = [], None
            skipped += 1
    return skipped


class SkipDemonstrations(NbGraderPreprocessor):
    """nbgrader preprocessor, placed before `Execute`: skip the lesson's demonstration cells.

    `source_dir` is the course's `source/` folder (`grading.configure` sets it), where the lesson's
    own notebook says which cells are demonstrations. `enabled = False` runs every cell.
    """

    source_dir = Unicode("", help="the course folder's source/ directory").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        lesson = Path(self.source_dir) / info.get("assignment", "") / f"{info.get('notebook', '')}.ipynb"
        if self.source_dir and lesson.is_file():
            count = skip_demonstrations(nb, json.loads(lesson.read_text()))
            self.log.info("skipped %d demonstration cells of %s", count, lesson.name)
        else:
            self.log.warning("no lesson notebook at %s: every cell runs", lesson)
        return nb, resources


def kept_cells_need(lesson):
    """Return what the profile would break in `lesson`: `[(cell index, name)]` for each name a kept cell
    reads, and does not bind itself, that before it only demonstration cells define. Empty when safe.

    Reads every name with `ast` (functions' bodies included, so a helper's globals count); IPython
    magics are ignored. A kept cell that uses what a demonstration changed in place, rather than
    bound, is not seen here: the warm-up run of the solution (`warm_cache`) is the second check.
    """
    nb = json.loads(Path(lesson).read_text()) if not isinstance(lesson, dict) else lesson
    sources = demonstrations(nb)
    defined, problems = {}, []  # name -> defined by a kept cell so far?
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        code = "\n".join(line for line in _source(cell).splitlines() if not line.lstrip().startswith(("%", "!")))
        tree = ast.parse(code)
        skipped = _source(cell).strip() in sources
        defines, reads = set(), set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (reads if isinstance(node.ctx, ast.Load) else defines).add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defines.add(node.name)
            elif isinstance(node, ast.arg):
                defines.add(node.arg)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                defines.update((a.asname or a.name).split(".")[0] for a in node.names)
        if not skipped:
            problems += [(index, name) for name in sorted(reads - defines) if defined.get(name) is False]
        for name in defines:
            defined[name] = defined.get(name, False) or not skipped
    return problems


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def warm_cache(lesson, cache_dir, timeout_func, log=print):
    """Run the lesson's solution once in the profile, into `cache_dir`; return `cache_dir`.

    The run is skipped when `cache_dir` already holds the cache of this very notebook (same SHA-256).

    Args:
        lesson: the lesson's source notebook, solutions included (`course/source/NN_topic/NN_topic.ipynb`).
        cache_dir: where the warm cache goes (`course/cache/NN_topic`).
        timeout_func: seconds per cell, given the cell (`grading.CellTimeout`).

    Raises:
        RuntimeError: a cell of the solution failed in the profile; grading this lesson would zero it.
    """
    import nbformat
    from nbclient import NotebookClient

    lesson, cache_dir = Path(lesson), Path(cache_dir)
    stamp = cache_dir / ".lesson-sha256"
    if stamp.is_file() and stamp.read_text() == _digest(lesson):
        log(f"{lesson.stem}: warm cache kept ({cache_dir})")
        return cache_dir
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache_dir.mkdir(parents=True)
    nb = nbformat.read(lesson, as_version=4)
    skip_demonstrations(nb, json.loads(lesson.read_text()))
    with environment(TL_COURSE_CACHE=str(cache_dir / "cache"), NBGRADER_EXECUTION="autograde"):
        NotebookClient(nb, timeout_func=timeout_func, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(lesson.parent)}}).execute()
    failed = [(i, o.get("ename", "error")) for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    if failed:
        shutil.rmtree(cache_dir, ignore_errors=True)
        raise RuntimeError(f"{lesson.stem}: the lesson's own solution fails in the grading profile on this machine "
                           f"(cell {', cell '.join(f'{i} raised {e}' for i, e in failed)}); run the lesson, or grade "
                           "with --all-cells, before grading the class")
    stamp.write_text(_digest(lesson))
    log(f"{lesson.stem}: warm cache made from the solution ({cache_dir})")
    return cache_dir


@contextlib.contextmanager
def environment(**values):
    """Set environment variables (inherited by the kernels started inside), then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def fresh_cache(warm_dir):
    """Set `TL_COURSE_CACHE` to a private copy of the warm cache for one submission's kernel."""
    with tempfile.TemporaryDirectory(prefix="tl-course-grading-") as tmp:
        source, target = Path(warm_dir) / "cache", Path(tmp) / "cache"
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.mkdir()
        with environment(TL_COURSE_CACHE=str(target)):
            yield target
