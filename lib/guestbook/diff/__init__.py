"""Rendered-manifest diffs between a git revision and the working tree.

Pure core: :mod:`~guestbook.diff.model` (data) and :mod:`~guestbook.diff.differ`
(comparison, Secret masking, ``apply_changes``). Edges: :mod:`~guestbook.diff.worktree`
(git), :mod:`~guestbook.diff.renderer` (runs a tree's ``main.py``) and
:mod:`~guestbook.diff.compare` (wires them). Writers: :mod:`guestbook.diff.output`.
"""
