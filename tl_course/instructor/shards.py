"""Split the grading of a large class over machines: `tl-course grade --shard i/n`, then `--merge`.

Part of the grading pipeline (`tl_course.instructor.grading`, `tl-course grade`; see INSTRUCTORS.md,
"Grading a large class on several machines"). Every shard reads the same hand-in folder. Its
students are the valid student folders sorted by name (Python's string order, `Bob` before `al`),
and shard i of n takes the i-th, (i+n)-th, (i+2n)-th, ... of them: each student is in exactly one
shard, and the split depends only on the folder names, never on the machine or the order the
shards run in. A shard writes `COURSE/shards/grades-shard-I-of-N.csv` (its students only);
`merge` reads those CSVs alone, so they can be copied from the machines to one place.
"""

import re
from pathlib import Path

from tl_course.instructor.gradebook import read_csv, sort_scores

__all__ = ["SHARD_FOLDER", "merge", "parse_shard", "shard_csv", "shard_students"]

SHARD_FOLDER = "shards"  # inside the course folder
_NAME = re.compile(r"^grades-shard-(\d+)-of-(\d+)\.csv$")


def parse_shard(text):
    """Return (i, n) from `"i/n"`, with 1 <= i <= n.

    Raises:
        ValueError: `text` is not two whole numbers `i/n` with 1 <= i <= n.
    """
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"expected --shard i/n with whole numbers 1 <= i <= n (such as 1/4), received {text!r}")
    return int(match.group(1)), int(match.group(2))


def shard_students(students, index, count):
    """Return the students of shard `index` of `count`: every `count`-th of `sorted(students)`, from the `index`-th."""
    index, count = parse_shard(f"{index}/{count}")
    return sorted(set(students))[index - 1::count]


def shard_csv(course_dir, index, count):
    """Return where shard `index` of `count` writes its gradebook: `course_dir/shards/grades-shard-I-of-N.csv`."""
    return Path(course_dir) / SHARD_FOLDER / f"grades-shard-{index}-of-{count}.csv"


def _shard_files(shards_dir):
    shards_dir = Path(shards_dir)
    if not shards_dir.is_dir():
        raise FileNotFoundError(f"expected a folder of shard gradebooks (grades-shard-I-of-N.csv), received {shards_dir}")
    files = {}
    for path in sorted(shards_dir.glob("grades-shard-*.csv")):
        match = _NAME.match(path.name)
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
            raise ValueError(f"expected shard files named grades-shard-I-of-N.csv with 1 <= I <= N, received {path.name}: "
                             "rename or remove it")
        files[(int(match.group(1)), int(match.group(2)))] = path
    if not files:
        raise FileNotFoundError(f"expected grades-shard-I-of-N.csv files in {shards_dir}, received none: "
                                "copy every shard's COURSE/shards/ folder there")
    counts = sorted({n for _, n in files})
    if len(counts) > 1:
        raise ValueError(f"expected the shards of one split, received files of {' and '.join(map(str, counts))} shards "
                         f"in {shards_dir}: keep one split's files")
    missing = [shard_csv("", i, counts[0]).name for i in range(1, counts[0] + 1) if (i, counts[0]) not in files]
    if missing:
        raise FileNotFoundError(f"expected all {counts[0]} shards in {shards_dir}, received none for {', '.join(missing)}: "
                                "copy it from the machine that graded it, or grade that shard again")
    return [files[(i, counts[0])] for i in range(1, counts[0] + 1)]


def merge(shards_dir):
    """Combine the shard gradebooks in `shards_dir` into one list of `Score`s, sorted as `exercise_scores` sorts.

    Checks that every shard of one split is there, that no student or row appears twice, and that
    the shards agree on each lesson's exercises and points (the same release on every machine).

    Returns:
        (scores, notes): the merged `Score`s, and lines about lessons only some shards graded (a shard
        none of whose students handed a lesson in has no rows for it).

    Raises:
        FileNotFoundError: the folder, or a shard, is missing.
        ValueError: a file is not a shard gradebook, a student is in two shards, a row is repeated,
            or two shards disagree on a lesson's exercises or points.
    """
    scores, owner, layouts = [], {}, {}
    files = _shard_files(shards_dir)
    for path in files:
        try:
            rows = read_csv(path)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"expected a gradebook CSV written by `tl-course grade --shard`, received {path} "
                             f"({type(error).__name__}: {error})") from None
        seen, layout = set(), {}
        for row in rows:
            key = (row.student, row.lesson, row.exercise)
            if key in seen:
                raise ValueError(f"expected one row per student, lesson and exercise, received {key} twice in {path.name}")
            seen.add(key)
            if owner.setdefault(row.student, path.name) != path.name:
                raise ValueError(f"expected each student in one shard, received {row.student} in both "
                                 f"{owner[row.student]} and {path.name}: grade every shard from the same hand-in folder")
            layout.setdefault(row.lesson, {})[row.exercise] = row.max_score
        for lesson, exercises in layout.items():
            other = layouts.setdefault(lesson, (exercises, path.name))
            if other[0] != exercises:
                raise ValueError(f"expected the same exercises and points for {lesson} in every shard, received "
                                 f"{other[0]} in {other[1]} and {exercises} in {path.name}: release the same lessons "
                                 "on every machine, then grade again")
        scores += rows
    notes = [f"{lesson}: no rows in {', '.join(p.name for p in files if p.name not in graders)}"
             for lesson in sorted(layouts)
             for graders in [{owner[s.student] for s in scores if s.lesson == lesson}] if len(graders) < len(files)]
    return sort_scores(scores), notes
