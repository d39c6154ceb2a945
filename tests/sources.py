"""Where the five municipal plans are, for tests that quote them.

Why: CI runs in a fresh clone with ``shared/`` beside it, developers have it at a fixed
place; ``$RESOURCEMAP_SOURCES`` overrides both. A missing document is an error in CI
(the seed tests must not silently skip there).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The project's shared reference folder: ``$RESOURCEMAP_SHARED``, else ``../shared`` beside the clone."""
    return Path(os.environ.get("RESOURCEMAP_SHARED", REPO.parent / "shared"))


def sources_dir() -> Path | None:
    for base in (os.environ.get("RESOURCEMAP_SOURCES"), shared_dir() / "sources"):
        if base and Path(base).is_dir():
            return Path(base)
    return None


def source_path(name: str) -> Path:
    base = sources_dir()
    return (base or shared_dir() / "sources") / name


def read_source(name: str) -> str:
    path = source_path(name)
    if not path.is_file():
        if os.environ.get("CI"):
            raise FileNotFoundError(f"source document {path} is missing (set RESOURCEMAP_SOURCES)")
        pytest.skip(f"source document {path} is not available")
    return path.read_text(encoding="utf-8")
