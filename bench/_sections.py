"""Shared by the benchmark scripts: replace one marked section of docs/benchmarks.md.

Why markers: several scripts write their own section of the same file; each replaces only
the text between its ``<!-- name:start -->`` and ``<!-- name:end -->`` (appending the section
the first time), re-reading the file right before writing so other sections stay untouched.
"""
from __future__ import annotations

import os
import platform
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def write_section(name: str, section: str, path: Path = DOCS) -> None:
    """Put *section* (which must start and end with the markers of *name*) into *path*."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    assert section.startswith(start) and section.rstrip().endswith(end), "section must carry its own markers"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    marked = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if marked.search(text):
        text = marked.sub(lambda _: section.rstrip(), text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip() + "\n"
    path.write_text(text, encoding="utf-8")


def machine() -> str:
    """The line every section starts with: CPU, cores, memory, Python, numpy and scipy versions."""
    import numpy as np
    import scipy

    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}, numpy {np.__version__}, "
            f"scipy {scipy.__version__}")
