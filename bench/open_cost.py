"""What the integrity checks cost when an index is opened, against the open without them, in one run.

Usage: python bench/open_cost.py --index ROOT [--replicate N --work DIR] [--rounds 40]

With --replicate, ROOT is a real index whose vectors are replicated to N rows (bench/synthetic.py,
as bench/scale.py does) into DIR first. Measured in one process, alternating, page cache warm
(fastest of the rounds: the machine is shared):
the open without checks (manifest, SQLite connection, memory maps of vectors and FAISS,
centers: what search/snapshot.open_snapshot did before the checks) and `open_snapshot` with them
(sizes, sampled or whole checksums, row counts). Also `akhbar check` and `check --deep` once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from akhbar.index.store import integrity, layout, sql
from akhbar.index.store.manifest import Manifest
from akhbar.search.snapshot import Snapshot, open_snapshot


def unchecked_open(root: Path) -> Snapshot:
    """The open as it was before the integrity checks."""
    folder = layout.current_version(root)
    idx = Snapshot(root, folder, Manifest.load(folder), sql.connect_readonly(folder))
    idx.raw_vectors, idx.faiss, idx.centers  # noqa: B018
    return idx


def timed(fn, root: Path) -> float:
    t = time.perf_counter()
    idx = fn(root)
    elapsed = time.perf_counter() - t
    idx.close()
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--replicate", type=int, default=0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-open-cost"))
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args()
    root = args.index
    if args.replicate:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.synthetic, run as a script too
        from bench.synthetic import replicate

        root = args.work / f"n{args.replicate}"
        if not (root / layout.CURRENT).exists():
            replicate(args.index, root, args.replicate)
    folder = layout.current_version(root)
    files = Manifest.load(folder).files
    before, after = [], []
    for _ in range(args.rounds):
        before.append(timed(unchecked_open, root))
        after.append(timed(open_snapshot, root))
    t = time.perf_counter()
    integrity.check(root)
    check_s = time.perf_counter() - t
    t = time.perf_counter()
    integrity.check(root, deep=True)
    deep_s = time.perf_counter() - t
    flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")).split()
    b, a = min(before), min(after)  # the machine is shared: the fastest round is the cost, the median has others' stalls in it
    print(
        json.dumps(
            {
                "index": str(root),
                "articles": Manifest.load(folder).articles,
                "files_mb": {n: round(int(r["size"]) / 1e6, 2) for n, r in files.items()},
                "hashed_on_open": [n for n, r in files.items() if int(r["size"]) <= integrity.HASH_ON_OPEN],
                "open_unchecked_ms": round(b * 1e3, 2),
                "open_checked_ms": round(a * 1e3, 2),
                "ratio": round(a / b, 2),
                "median_unchecked_ms": round(statistics.median(before) * 1e3, 2),
                "median_checked_ms": round(statistics.median(after) * 1e3, 2),
                "check_s": round(check_s, 2),
                "check_deep_s": round(deep_s, 2),
                "rounds": args.rounds,
                "cpu_flags": [f for f in ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "sha_ni") if f in flags],
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
