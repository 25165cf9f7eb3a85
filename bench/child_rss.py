"""``python -m bench.child_rss MODULE ARGS…``: run ``python -m MODULE ARGS…`` and report the
process's peak resident memory on stderr as the last line (``peak_rss_kib=N``), so that the
benchmark can measure each child on its own."""

from __future__ import annotations

import resource
import runpy
import sys

MARKER = "peak_rss_kib="


def main() -> None:
    module, *arguments = sys.argv[1:]
    sys.argv = [module, *arguments]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        # ru_maxrss is in KiB on Linux.
        print(f"{MARKER}{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)


if __name__ == "__main__":
    main()
