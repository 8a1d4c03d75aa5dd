"""The `tl-course` command: doctor, download, bench, format, release, grade."""

import argparse
import sys

__all__ = ["main"]


def _doctor(args):
    from tl_course import doctor

    print(doctor.report())
    return 0


def _download(args):
    from tl_course import doctor

    results = doctor.download_all()
    for item, status in results:
        print(f"{item}: {status}")
    return 1 if any(status.startswith("failed") for _, status in results) else 0


def _bench(args):
    from tl_course import bench

    result = bench.run(per_class=args.per_class, epochs=args.epochs, image_size=args.image_size, seed=args.seed)
    print(bench.format_result(result))
    if args.json:
        bench.save(result, args.json)
    return 0


def _format(args):
    from tl_course import notebook_format

    changed = [p for p in args.notebooks if notebook_format.format_notebook(p)]
    for path in changed:
        print(f"formatted {path}")
    return 0


def build_parser():
    """Return the argument parser of `tl-course`."""
    parser = argparse.ArgumentParser(prog="tl-course", description="Transfer-learning course tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("doctor", help="versions, GPU, caches, and which lessons run offline").set_defaults(func=_doctor)
    sub.add_parser("download", help="pre-fetch every weight file and dataset the lessons need").set_defaults(func=_download)
    bench = sub.add_parser("bench", help="time end-to-end frozen training against embed-once on the flowers")
    bench.add_argument("--per-class", type=int, default=None, help="images per class (default: all)")
    bench.add_argument("--epochs", type=int, default=5)
    bench.add_argument("--image-size", type=int, default=160)
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument("--json", help="also write the result to this JSON file")
    bench.set_defaults(func=_bench)
    fmt = sub.add_parser("format", help="strip outputs and canonicalise lesson notebooks")
    fmt.add_argument("notebooks", nargs="+")
    fmt.set_defaults(func=_format)
    return parser


def main(argv=None):
    """Run `tl-course`; returns the exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
