"""``python -m randcheck``: the command line (see :mod:`randcheck.cli`)."""

from __future__ import annotations

from randcheck.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
