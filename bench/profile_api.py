"""Where a request's time goes: py-spy samples the server while one endpoint at a time is under load.

Set-up as ``bench/api.py`` (the 5,000-resource benchmark catalogue, ``resourcemap serve`` with one
worker on loopback, 4 keep-alive clients in a second process), but the server runs under
``py-spy record`` (``pip install -e '.[bench]'``), one server per endpoint. The samples (function,
file and line of each frame — never arguments, headers or bodies, so no request content) are kept
in a temp folder and reduced here to the top frames: *self* (the frame on top of the stack) and
*inclusive* (anywhere in the stack), as shares of the samples in which the server was busy (threads
parked waiting for work — the event loop's ``select``, idle pool threads — are left out).

    python bench/profile_api.py                    # every endpoint of bench/api.py, 8 s each
    python bench/profile_api.py --seconds 5 --top 12 --write-docs
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _load import ROOT, catalogue  # bench/ is on sys.path when run
from _sections import machine

START, END = "<!-- profile:start -->", "<!-- profile:end -->"
#: Frames a thread sits in while it waits for work: not the server's cost.
IDLE = ("select (selectors.py", "_worker (concurrent/futures/thread.py", "wait (threading.py", "Condition.wait",
        "EpollSelector.select")
#: A stack through any of these is the server starting (imports, the parser, opening the services).
STARTING = ("importlib._bootstrap", "build_parser (", "lifespan (", "AppState.open (")
#: Inclusive shares are shown for the project's own frames (the rest is the framework and the loop).
OWN = re.compile(r"\((resourcemap|api)/(?!__main__|cli/)")
_LINE = re.compile(r":\d+\)$")


def top_frames(raw: Path, top: int) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    """(busy samples, [(frame, self share)], [(frame, inclusive share)]) of a py-spy ``--format raw`` file."""
    own: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_LINE.sub(")", f) for f in stack.split(";")]
        if any(mark in frames[-1] for mark in IDLE) or any(m in f for f in frames for m in STARTING):
            continue
        n = int(count)
        busy += n
        own[frames[-1]] += n
        for f in set(frames):
            if OWN.search(f):
                incl[f] += n
    def shares(c: collections.Counter[str]) -> list[tuple[str, float]]:
        return [(f, k / busy) for f, k in c.most_common(top)] if busy else []
    return busy, shares(own), shares(incl)


def profile(db: Path, key: str, label: str, reqs: list, args: argparse.Namespace, tmp: Path) -> Path:
    from tests.api.conftest import free_port

    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install -e '.[bench]'")
    out = tmp / f"{abs(hash(label))}.txt"
    spec = tmp / "spec.json"
    spec.write_text(json.dumps({"key": key, "requests": {label: reqs}}, ensure_ascii=False), encoding="utf-8")
    port = free_port()
    server = subprocess.Popen([spy, "record", "--rate", "200", "--format", "raw", "--output", str(out), "--",
                               sys.executable, "-m", "resourcemap", "--db", str(db), "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    try:
        subprocess.run([sys.executable, str(ROOT / "bench" / "_load.py"), "--load", f"http://127.0.0.1:{port}",
                        str(spec), "--seconds", str(args.seconds), "--warmup", "1", "--clients", str(args.clients)],
                       check=True, capture_output=True)
    finally:
        import psutil

        for child in psutil.Process(server.pid).children():
            child.send_signal(2)  # SIGINT: the server stops, py-spy writes its file
        server.wait(timeout=120)
    return out


def markdown(results: dict[str, tuple], args: argparse.Namespace) -> str:
    lines = [START, "## Request path profile (`bench/profile_api.py`)", "",
             f"Run {date.today().isoformat()} with `python bench/profile_api.py --seconds {args.seconds:g} --top "
             f"{args.top}` on {machine()} (shared machine). py-spy {args.spy_version}, 200 samples/s, one server (1 "
             f"worker) per endpoint under {args.clients} keep-alive clients; shares are of the samples in which the "
             "server was busy answering (threads waiting for work and the start-up — imports, opening the services, "
             "building the read model — left out). Inclusive shares are listed for the project's own frames only.", ""]
    for label, (busy, own, incl) in results.items():
        lines += [f"### `{label}` ({busy:,} busy samples)", "", "| self | frame | | inclusive | frame |",
                  "|---:|---|---|---:|---|"]
        for (f1, s1), (f2, s2) in zip(own, incl):
            lines.append(f"| {s1:.1%} | `{f1}` | | {s2:.1%} | `{f2}` |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--resources", type=int, default=5000)
    ap.add_argument("--write-docs", action="store_true", help="update the profile section of docs/benchmarks.md")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    import importlib.util
    import random

    from resourcemap.geo import load_chome
    from tests.api.conftest import make_keys

    args.spy_version = subprocess.run(
        [shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy", "--version"],
        capture_output=True, text=True).stdout.split()[-1]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        catalogue(db, args.resources)
        key = make_keys(db, roles=("viewer",))["viewer"]
        points = [(c.town, c.lat, c.lng) for c in load_chome("13206")]
        random.Random(1).shuffle(points)
        spec = importlib.util.spec_from_file_location("bench_api", ROOT / "bench" / "api.py")
        bench_api = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(bench_api)  # type: ignore[union-attr]  # (the name `api` is the app package)
        for label, reqs in bench_api._requests(points).items():  # the same endpoints and rotations
            raw = profile(db, key, label, reqs, args, Path(tmp))
            results[label] = top_frames(raw, args.top)
    section = markdown(results, args)
    print(section)
    if args.write_docs:
        from _sections import write_section

        write_section("profile", section)


if __name__ == "__main__":
    main()
