"""Shared benchmark plumbing: the peer baseline's interpreter, timed child processes, reports.

Benchmarks compare marketbrief with the peer baseline (``../shared/evalkit/peers.py``) on the
same input in the same run and report ratios, because this machine is shared and noisy:
absolute numbers drift from run to run, ratios much less.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PEERS = SHARED / "evalkit" / "peers.py"
RESULTS = ROOT / "benchmarks" / "results"
PEERS_PYTHON = Path(
    os.environ.get("PEERS_PYTHON", str(ROOT.parent / "peers-venv" / "bin" / "python"))
)
MARKETBRIEF = ROOT / ".venv" / "bin" / "marketbrief"


def require_peers() -> Path:
    """The peer baseline's Python, or exit with how to set it up."""
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found: the benchmarks read evaluation data and peers.py there")
    if not PEERS_PYTHON.exists():
        sys.exit(
            f"peer baseline interpreter not found at {PEERS_PYTHON}: run benchmarks/setup-peers "
            "(or set PEERS_PYTHON)"
        )
    return PEERS_PYTHON


@dataclass(frozen=True, slots=True)
class Timing:
    """One measured run of one contender."""

    name: str
    seconds: float
    items: int
    max_rss_mb: float

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else float("inf")


def run_timed(name: str, argv: list[str], *, items: int, stdout: Path | None = None) -> Timing:
    """Run a child process to completion; wall time and its peak resident memory."""
    start = time.perf_counter()
    with open(stdout or os.devnull, "wb") as sink:
        process = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE)
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: some records failed, which the contract allows
        sys.exit(
            f"{name} failed with exit status {code}:\n{errors.decode(errors='replace')[-2000:]}"
        )
    return Timing(name, seconds, items, usage.ru_maxrss / 1024)


def run_worker(name: str, argv: list[str]) -> Timing:
    """Run a worker that times itself and prints {"seconds", "items"}; add its peak memory."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{name} worker failed: {' '.join(argv)[:200]}")
    data = json.loads(out)
    return Timing(name, float(data["seconds"]), int(data["items"]), usage.ru_maxrss / 1024)


def run_worker_pair(
    script: str,
    data: object,
    *,
    ours: list[str],
    peer: list[str],
    peer_name: str = "peers.py",
) -> tuple[Timing, Timing]:
    """Run ``script --worker marketbrief`` in our venv and ``--worker peers`` in the peers'
    venv on the same ``data`` (written as JSON, passed as ``--input``), both pinned to one
    CPU when ``taskset`` exists; ``ours``/``peer`` are each worker's further arguments."""
    peers_python = require_peers()
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        common = [script, "--input", str(path), "--worker"]
        our_python = str(ROOT / ".venv" / "bin" / "python")
        ours_timing = run_worker("marketbrief", [*pin, our_python, *common, "marketbrief", *ours])
        peer_timing = run_worker(peer_name, [*pin, str(peers_python), *common, "peers", *peer])
    return ours_timing, peer_timing


def report(
    benchmark: str, ours: Timing, peer: Timing, extra: dict[str, object] | None = None
) -> None:
    """Print the comparison and keep it as JSON under benchmarks/results/."""
    speed = ours.per_second / peer.per_second
    memory = ours.max_rss_mb / peer.max_rss_mb if peer.max_rss_mb else float("nan")
    print(f"{benchmark}: {ours.items} items")
    for t in (ours, peer):
        print(
            f"  {t.name:<12} {t.seconds:8.2f} s  {t.per_second:10.1f} items/s"
            f"  {t.max_rss_mb:8.1f} MB peak"
        )
    print(f"  speed ratio marketbrief/peer = {speed:.2f}x (higher is faster)")
    print(f"  memory ratio marketbrief/peer = {memory:.2f}x (lower is leaner)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": benchmark,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "ours": asdict(ours),
        "peer": asdict(peer),
        "speed_ratio": round(speed, 3),
        "memory_ratio": round(memory, 3),
    } | (extra or {})
    (RESULTS / f"{benchmark}.json").write_text(json.dumps(record, indent=2) + "\n")
