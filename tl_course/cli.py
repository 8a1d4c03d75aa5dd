"""The `tl-course` command: doctor, download, bench, format, release, grade."""

import argparse
import sys

__all__ = ["main"]


def _doctor(args):
    from tl_course.lessons import setup

    print(setup.report())
    return 0


def _download(args):
    from tl_course.lessons import setup

    results = setup.download_all()
    for item, status in results:
        print(f"{item}: {status}")
    return 1 if any(status.startswith("failed") for _, status in results) else 0


def _bench(args):
    from tl_course.core import bench

    result = bench.run(per_class=args.per_class, epochs=args.epochs, image_size=args.image_size, seed=args.seed)
    print(bench.format_result(result))
    if args.json:
        bench.save(result, args.json)
    return 0


def _format(args):
    from pathlib import Path

    from tl_course.core.manifest import lesson_names
    from tl_course.instructor import notebook_format

    changed = [p for p in args.notebooks if notebook_format.format_notebook(p)]
    for path in changed:
        print(f"formatted {path}")
    lessons = sorted({notebook_format.lesson_path(p) for p in map(Path, args.notebooks)
                      if Path(p).stem in lesson_names()})  # a learner's edition given stands for its lesson
    try:
        from tl_course.instructor import learner_edition

        regenerated = [learner_edition.write(lesson) for lesson in lessons]
    except ModuleNotFoundError as error:
        if not lessons or (error.name or "").split(".")[0] != "nbgrader":
            raise
        print(f"tl-course format: learner's editions not regenerated: {_NO_NBGRADER}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"tl-course format: {error}", file=sys.stderr)
        return 2
    for path, was_changed in regenerated:
        if was_changed:
            print(f"regenerated {path}")
    return 0


_NO_NBGRADER = ("nbgrader is not installed: expected the instructor extra, received a learner's install. "
                "Run `pip install -e \".[instructor]\"` (or `make test`, which installs it into .venv-dev).")


def _release(args):
    try:
        from tl_course.instructor import grading  # its fast profile imports nbgrader's preprocessors

        paths = grading.release(args.lessons or None, args.course, args.notebooks)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "nbgrader":
            raise
        print(f"tl-course release: {_NO_NBGRADER}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"tl-course release: {error}", file=sys.stderr)
        return 2
    for path in paths:
        print(f"released {path}")
    return 0


def _grade_arguments(args):
    """Return what is wrong with the combination of `grade`'s arguments, or None."""
    if args.merge is not None:
        extra = [name for name, given in (("SUBMISSIONS_DIR", args.submissions), ("--shard", args.shard),
                                          ("--lesson", args.lesson), ("--timeout", args.timeout), ("--force", args.force),
                                          ("--feedback", args.feedback)) if given]
        return (f"expected --merge alone (it reads the shard CSVs only), received also {', '.join(extra)}"
                if extra else None)
    if not args.submissions:
        return "expected SUBMISSIONS_DIR (one folder per student), or --merge SHARDS_DIR, received neither"
    if args.shard is not None and args.csv:
        return ("expected --shard without --csv: a shard writes COURSE/shards/grades-shard-I-of-N.csv, "
                "where --merge looks for it; choose the folder with --course")
    return None


def _merge(args):
    import os

    from tl_course.instructor import gradebook, shards

    csv_path = args.csv or os.path.join(args.course, "grades.csv")
    try:
        scores, notes = shards.merge(args.merge or os.path.join(args.course, shards.SHARD_FOLDER))
    except (ValueError, FileNotFoundError) as error:
        print(f"tl-course grade: {error}", file=sys.stderr)
        return 2
    gradebook.write_csv(scores, csv_path)
    for line in notes:
        print(line)
    print(f"\n{gradebook.format_table(scores)}\n\ngrades of {len({s.student for s in scores})} students merged into {csv_path}")
    return 0


def _grade(args):
    import os

    problem = _grade_arguments(args)
    if problem:
        print(f"tl-course grade: {problem}", file=sys.stderr)
        return 2
    if args.merge is not None:
        return _merge(args)
    from tl_course.instructor import gradebook, grading, shards

    try:
        shard = None if args.shard is None else shards.parse_shard(args.shard)
    except ValueError as error:
        print(f"tl-course grade: {error}", file=sys.stderr)
        return 2
    csv_path = args.csv or str(shards.shard_csv(args.course, *shard) if shard else os.path.join(args.course, "grades.csv"))
    try:
        submissions, problems, scores = grading.grade(
            args.submissions, args.course, args.lesson or None, exercise_timeout=args.timeout, force=args.force,
            feedback=args.feedback, csv_path=csv_path, shard=shard, all_cells=args.all_cells)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "nbgrader":
            raise
        print(f"tl-course grade: {_NO_NBGRADER}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"tl-course grade: {error}", file=sys.stderr)
        return 2
    for line in problems:
        print(line)
    print(f"\n{gradebook.format_table(scores)}\n\ngrades exported to {csv_path}")
    return 1 if any(note.startswith("nbgrader failed") for s in submissions for note in s.notes) else 0


def build_parser():
    """Return the argument parser of `tl-course`."""
    parser = argparse.ArgumentParser(prog="tl-course", description="Transfer-learning course tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="versions, GPU, caches, and which lessons run offline").set_defaults(func=_doctor)
    sub.add_parser("download", help="pre-fetch every weight file, dataset and TF Hub module the lessons need").set_defaults(func=_download)
    bench = sub.add_parser("bench", help="time end-to-end frozen training against embed-once on the flowers")
    bench.add_argument("--per-class", type=int, default=None, help="images per class (default: all)")
    bench.add_argument("--epochs", type=int, default=5)
    bench.add_argument("--image-size", type=int, default=160)
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--json", help="also write the result to this JSON file")
    bench.set_defaults(func=_bench)
    fmt = sub.add_parser("format", help="strip outputs, canonicalise lesson notebooks, regenerate their learner's editions")
    fmt.add_argument("notebooks", nargs="+")
    fmt.set_defaults(func=_format)
    rel = sub.add_parser("release", help="make student versions of the lessons with nbgrader (see INSTRUCTORS.md)")
    rel.add_argument("lessons", nargs="*", metavar="LESSON", help="e.g. 00 or 00_setup (default: every lesson)")
    rel.add_argument("--course", default="course", help="the course folder (default: ./course)")
    rel.add_argument("--notebooks", default=None, help="the lesson folder (default: ./notebooks)")
    rel.set_defaults(func=_release)
    grd = sub.add_parser("grade", help="collect hand-ins (one folder per student), autograde them, export a CSV")
    grd.add_argument("submissions", metavar="SUBMISSIONS_DIR", nargs="?", help="one folder per student (not with --merge)")
    grd.add_argument("--course", default="course", help="the course folder (default: ./course)")
    grd.add_argument("--lesson", action="append", help="grade only this lesson (repeatable)")
    grd.add_argument("--timeout", type=int, default=None, help="seconds per exercise cell (default: course config)")
    grd.add_argument("--force", action="store_true", help="regrade notebooks that did not change")
    grd.add_argument("--feedback", action="store_true", help="also write HTML feedback to COURSE/feedback/")
    grd.add_argument("--csv", default=None, help="export path (default: COURSE/grades.csv)")
    grd.add_argument("--shard", default=None, metavar="I/N",
                     help="grade only every N-th student by sorted name, from the I-th; writes COURSE/shards/grades-shard-I-of-N.csv")
    grd.add_argument("--all-cells", action="store_true",
                     help="run every cell, demonstrations included, without the warm cache (slower; see INSTRUCTORS.md)")
    grd.add_argument("--merge", nargs="?", const="", default=None, metavar="SHARDS_DIR",
                     help="combine the shard CSVs in SHARDS_DIR (default: COURSE/shards) into one CSV and table")
    grd.set_defaults(func=_grade)
    return parser


def main(argv=None):
    """Run `tl-course`; returns the exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
