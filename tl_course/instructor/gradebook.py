"""Read nbgrader's gradebook per exercise: scores, the CSV export and the printed table.

Part of the grading pipeline (`tl_course.instructor.grading`, `tl-course grade`; see INSTRUCTORS.md).
An exercise is the group of grade cells sharing a `exN_` prefix (`ex1_check` belongs to `ex1`);
its score is the sum of their scores, manual overrides included (nbgrader's `Grade.score`).
A `Score`'s `review` holds what `integrity.review` flagged in that exercise's answer cells.
"""

import csv
import re
from dataclasses import astuple, dataclass, fields
from pathlib import Path

__all__ = ["COURSE_ID", "Score", "cell_notes", "exercise_of", "exercise_scores", "format_table", "natural_key", "read_csv",
           "sort_scores", "write_csv"]

COURSE_ID = "tl-course"


@dataclass(frozen=True)
class Score:
    """One student's score on one exercise of one lesson."""

    student: str
    lesson: str
    exercise: str
    score: float
    max_score: float
    needs_manual_grade: bool
    review: str = ""  # flags for a human to read, "; "-separated; empty when clean


def exercise_of(grade_id):
    """Return the exercise a cell belongs to: `ex1` for `ex1_check` and `ex1_solution`, else the grade_id."""
    match = re.match(r"^(ex\d+)_", grade_id)
    return match.group(1) if match else grade_id


def natural_key(text):
    """Sort key that puts `ex2` before `ex10`."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def exercise_scores(course_dir):
    """Return every `Score` in `course_dir/gradebook.db`, sorted by lesson, student, exercise.

    Raises:
        FileNotFoundError: the course folder has no gradebook yet.
    """
    from nbgrader.api import Gradebook

    db = Path(course_dir).resolve() / "gradebook.db"
    if not db.exists():
        raise FileNotFoundError(f"expected a gradebook at {db}, received no file: run `tl-course release` first")
    totals = {}
    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        key = (submission.student.id, assignment.name, exercise_of(grade.name))
                        score, max_score, manual = totals.get(key, (0.0, 0.0, False))
                        totals[key] = (score + (grade.score or 0.0), max_score + (grade.max_score or 0.0),
                                       manual or bool(grade.needs_manual_grade))
    return sort_scores(Score(*key, *value) for key, value in totals.items())


def sort_scores(scores):
    """Return `scores` sorted by lesson, student and exercise (`ex2` before `ex10`): the CSV's order."""
    return sorted(scores, key=lambda r: (r.lesson, r.student, natural_key(r.exercise)))


def write_csv(scores, path):
    """Write `scores` to a CSV file with a header row; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([f.name for f in fields(Score)])
        writer.writerows(astuple(s) for s in scores)
    return path


def read_csv(path):
    """Read a CSV file written by `write_csv` back into `Score`s (one without a `review` column too).

    Raises:
        KeyError: a column is missing; ValueError: a score is not a number.
    """
    with Path(path).open(newline="") as f:
        return [Score(r["student"], r["lesson"], r["exercise"], float(r["score"]), float(r["max_score"]),
                      r["needs_manual_grade"] == "True", r.get("review") or "") for r in csv.DictReader(f)]


def _points(x):
    return f"{x:g}"


def format_table(scores):
    """Return one Markdown table per lesson: a row per student, a column per exercise, and the total.

    A `*` marks a score nbgrader flags for manual grading. A lesson with review flags gets a last
    column, `review`, listing each student's (see `tl_course.instructor.integrity`).
    """
    blocks = []
    for lesson in sorted({s.lesson for s in scores}):
        rows = [s for s in scores if s.lesson == lesson]
        exercises = sorted({s.exercise for s in rows}, key=natural_key)
        flagged = any(s.review for s in rows)
        header = ["student", *exercises, "total"] + ["review"] * flagged
        lines = [header]
        for student in sorted({s.student for s in rows}):
            mine = {s.exercise: s for s in rows if s.student == student}
            cells = [f"{_points(mine[e].score)}/{_points(mine[e].max_score)}{'*' if mine[e].needs_manual_grade else ''}"
                     if e in mine else "-" for e in exercises]
            total = sum(s.score for s in mine.values()), sum(s.max_score for s in mine.values())
            review = ["; ".join(mine[e].review for e in exercises if e in mine and mine[e].review)] * flagged
            lines.append([student, *cells, f"{_points(total[0])}/{_points(total[1])}", *review])
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        fmt = [f"| {' | '.join(c.ljust(w) for c, w in zip(line, widths))} |" for line in lines]
        fmt.insert(1, f"|{'|'.join('-' * (w + 2) for w in widths)}|")
        blocks.append(f"{lesson}\n" + "\n".join(fmt))
    return "\n\n".join(blocks)


def cell_notes(notebook):
    """Return what went wrong while autograding, from an autograded notebook dict.

    Lists the cells that ran past their timeout, the check cells nbgrader put back because the
    submission had deleted them, and errors in the lesson's own cells (not exercises): those
    usually mean the grading machine cannot run the lesson (see `tl-course doctor`).
    """
    notes = []
    for index, cell in enumerate(notebook["cells"]):
        name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "code" and "was missing from the submission" in source.split("\n", 1)[0]:
            notes.append(f"{name} was deleted, nbgrader put it back")
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "CellTimeoutError":
                notes.append(f"{name or f'lesson cell {index}'} timed out")
            elif name is None:
                notes.append(f"lesson cell {index} raised {output.get('ename')}: {output.get('evalue', '')[:80]}")
    return notes
