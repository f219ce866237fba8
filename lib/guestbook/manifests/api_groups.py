"""The API group of an apiVersion, in one place (it imports nothing, so any layer can use it)."""

from __future__ import annotations


def group_of(api_version: str) -> str:
    """The API group of an apiVersion (``apps/v1`` → ``apps``; ``v1`` → the core group ``""``)."""
    return api_version.rpartition("/")[0]
