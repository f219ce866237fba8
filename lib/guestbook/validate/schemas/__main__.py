"""``python -m guestbook.validate.schemas``: generate the offline schemas (``make setup``).

Without arguments, every supported Kubernetes version; up-to-date versions
are skipped, so running it again is instant.
"""

from __future__ import annotations

import argparse
import sys

from guestbook.errors import GuestbookError
from guestbook.kubernetes import SELECTABLE_KUBERNETES_VERSIONS
from guestbook.validate.schemas.generate import ensure
from guestbook.validate.schemas.store import SchemaStore
from guestbook.validate.tools import schemas_root


def main(argv: list[str] | None = None) -> int:
    """Generate missing or stale schema folders; exit 2 with one message on failure."""
    parser = argparse.ArgumentParser(prog="python -m guestbook.validate.schemas")
    parser.add_argument(
        "versions",
        nargs="*",
        metavar="VERSION",
        help=f"Kubernetes versions (default: {', '.join(SELECTABLE_KUBERNETES_VERSIONS)})",
    )
    parser.add_argument("--force", action="store_true", help="regenerate even when up to date")
    args = parser.parse_args(argv)
    root = schemas_root()
    stores = [SchemaStore(root, v) for v in args.versions or SELECTABLE_KUBERNETES_VERSIONS]
    try:
        ensure(stores, force=args.force, log=lambda line: print(f"schemas: {line}"))
    except GuestbookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
