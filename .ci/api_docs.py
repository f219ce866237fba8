"""Generate the API reference, docs/api/, from the public names' docstrings (pdoc).

`make docs` runs this; tests/test_api_docs.py checks the committed pages equal a fresh run.
The package imports its public names on first use, so they are resolved before pdoc reads
the module (pdoc reads a module's namespace, not its ``__getattr__``). Usage:
``python .ci/api_docs.py [OUTPUT]`` (default: docs/api).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pdoc
import pdoc.render

import guestbook

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "api"


def main(output: Path) -> None:
    for name in guestbook.__all__:
        setattr(guestbook, name, getattr(guestbook, name))
    pdoc.render.configure(docformat="restructuredtext", search=False, show_source=False)
    pdoc.pdoc("guestbook", output_directory=output)
    for page in sorted(output.glob("*.html")):
        # A validator's repr names its memory address, different on every run.
        text = page.read_text(encoding="utf-8")
        page.write_text(re.sub(r" at 0x[0-9a-f]+", "", text), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
