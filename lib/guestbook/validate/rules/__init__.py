"""Layers 2 to 5: the checks kubeconform cannot make (written in the ``rules`` branch).

This placeholder keeps the pipeline's contract: ``run`` takes every parsed
document and returns findings. The real rule modules replace its body.
"""

from __future__ import annotations

from collections.abc import Sequence

from guestbook.validate.model import Document, Finding


def run(documents: Sequence[Document]) -> list[Finding]:
    """Every rule's findings over ``documents`` (none yet)."""
    return []
