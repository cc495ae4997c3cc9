"""Disjoint sets (union-find) over strings, shared by identity merging and thread splitting."""
from __future__ import annotations

from collections.abc import Iterator


class DisjointSets:
    """Union-find with path halving. Iterates its elements in the order they were first seen,
    so that groups built from it come out in input order (stable output across runs)."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self._parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[ra] = rb

    def __iter__(self) -> Iterator[str]:
        return iter(self._parent)
