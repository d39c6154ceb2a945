"""Run the whole test suite the way CI does: lint, type check, then every test and doctest.

Why a script and not a bare ``pytest``: CI must fail when no test ran (pytest's exit
code 5), and real servers (the FalkorDB Bolt server) are started by the test session's
fixtures on loopback and stopped when it ends, so one entry point covers both. ruff and
mypy read their settings from ``pyproject.toml`` and check ``resourcemap/`` and ``api/``;
all three run even when one fails, so one run shows every problem.
"""
from __future__ import annotations

import subprocess
import sys

CHECKS = [
    ("ruff", [sys.executable, "-m", "ruff", "check", "resourcemap", "api"]),
    ("mypy", [sys.executable, "-m", "mypy"]),
]


def main() -> int:
    failed = []
    for name, cmd in CHECKS:
        print(f"== {name}", flush=True)
        if subprocess.call(cmd) != 0:
            failed.append(name)
    code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *sys.argv[1:]])
    if code == 5:
        print("error: no test ran", file=sys.stderr)
        return 1
    if failed:
        print(f"error: {', '.join(failed)} found problems (see above)", file=sys.stderr)
        return code or 1
    return code


if __name__ == "__main__":
    sys.exit(main())
