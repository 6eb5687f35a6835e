"""The long fuzz run of ingest: tests/index/ingest/test_fuzz_ingest.py under the `akhbar-fuzz` hypothesis profile.

Usage: python bench/fuzz_ingest.py [--out bench/results/fuzz_ingest.md]

2,500 generated examples for each of JSON Lines, CSV, text files and seed pages, 2,500 binary
or Windows-1256 files, and 10 corpora through a real `akhbar build` (model, FAISS, SQLite).
Prints how many examples and records ran and whether every property held (every good article
indexed or parsed with its body, every bad record reported once at its line, nothing raised).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "fuzz_ingest.md")
    args = ap.parse_args()
    started = time.perf_counter()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))  # as `python -m pytest` run from the repository: tests/ imports tests.helpers
    status = pytest.main(
        [
            "-q",
            "-p",
            "no:cacheprovider",
            "--hypothesis-profile=akhbar-fuzz",
            "--rootdir",
            str(ROOT),
            str(ROOT / "tests" / "index" / "ingest" / "test_fuzz_ingest.py"),
        ]
    )
    seconds = time.perf_counter() - started
    module = next(m for name, m in sys.modules.items() if name.endswith("test_fuzz_ingest"))
    rows = [(fmt, c.examples, c.records) for fmt, c in module.COUNT.items()]
    total = sum(r[1] for r in rows)
    result = "all properties held" if status == 0 else f"FAILED (pytest exit status {int(status)})"
    lines = ["| input | examples | records |", "|---|---|---|"]
    lines += [f"| {fmt} | {n:,} | {recs:,} |" for fmt, n, recs in rows]
    lines.append(f"| **all** | **{total:,}** | **{sum(r[2] for r in rows):,}** |")
    report = (
        f"# Ingest fuzz run\n\n`python bench/fuzz_ingest.py`: {total:,} examples in {seconds:.0f} s, {result}.\n"
        f"Python {platform.python_version()}, {platform.machine()}.\n\n" + "\n".join(lines) + "\n"
    )
    print(report)
    args.out.write_text(report)
    return int(status != 0 or total < 10_000)


if __name__ == "__main__":
    sys.exit(main())
