"""The ``wengert`` command (also ``python -m wengert``).

``wengert demo [NAME ...]`` runs the lecture tour (all demos, or the named ones);
``wengert demo --list`` lists them. Imports: demos and the standard library.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="wengert", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the lecture tour")
    demo.add_argument("names", nargs="*", help="demos to run (default: all)")
    demo.add_argument("--list", action="store_true", help="list the demos and exit")
    args = parser.parse_args(argv)

    from .demos import DEMOS

    if args.list:
        for name, (title, _) in DEMOS.items():
            print(f"{name:12s} {title}")
        return 0
    names = args.names or list(DEMOS)
    unknown = [n for n in names if n not in DEMOS]
    if unknown:
        print(f"wengert demo: unknown demo(s) {', '.join(unknown)}; choose from "
              f"{', '.join(DEMOS)} (wengert demo --list).", file=sys.stderr)
        return 2
    ok = True
    for name in names:
        title, run = DEMOS[name]
        print(f"== {title} ==")
        res = run(sys.stdout)
        ok = ok and res.get("ok", True)
        print()
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
