"""Run the whole test suite the way CI does.

Why a script and not a bare ``pytest``: CI must fail when no test ran (pytest's exit
code 5), and real servers (the FalkorDB Bolt server) are started by the test session's
fixtures on loopback and stopped when it ends, so one entry point covers both.
"""
from __future__ import annotations

import subprocess
import sys


def main() -> int:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *sys.argv[1:]]
    code = subprocess.call(cmd)
    if code == 5:
        print("error: no test ran", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
