"""Every answer of the seed index, byte for byte: a refactor that says "behaviour unchanged" proves it here.

Usage:
  python bench/same_answers.py --record SNAPSHOT [--index ROOT]    # before the change
  python bench/same_answers.py --compare SNAPSHOT [--index ROOT]   # after it: exit 1 on any difference

Without --index, the seed index is built from seeds/ with `akhbar build` into a temporary folder (so the
writers are compared too); with it, a copy of ROOT is queried (ROOT itself is never opened for writing).
A fixed list of commands runs through the real CLI (typer's runner, one process, so the model loads once):
for every article in the index `similar ID` and `coverage ID`, each as JSON and as a table; `similar` with
each ranking option and filter on a few articles; `similar --text`; `search` in three languages and three
modes, with filters and --explain; `stories`, `dups` and `stats`. Each command's exit code and output are kept
in SNAPSHOT (gzipped JSON Lines, one line per command, a header line first with the CPU and the index's
manifest); --compare prints the first differing lines of every command that differs.
The answers depend on the embedding backend and so on the CPU: compare snapshots taken on one machine.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"

QUERIES = (
    "NATO support for Ukraine",
    "دعم حلف الناتو لأوكرانيا",
    "élections présidentielles",
    "earthquake",
    "أسعار النفط",
)
# Articles whose box is also asked with every ranking option and filter (the first ids in sorted order are
# added at run time, so the list holds on any index).
VARIANTS = (
    ("--mode", "dense"),
    ("--mode", "lexical"),
    ("--mode", "hybrid"),
    ("--diverse",),
    ("--recency", "30"),
    ("--window", "0"),
    ("--window", "30"),
    ("-k", "3"),
    ("-k", "25"),
    ("--lang", "ar"),
    ("--lang", "en"),
    ("--lang", "fr"),
    ("--since", "2023-01-01"),
    ("--until", "2023-12-31"),
    ("--explain",),
)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def commands(ids: list[str], sources: list[str]) -> list[list[str]]:
    """The fixed list of CLI commands, without --index."""
    cmds: list[list[str]] = []
    for article in ids:
        for fmt in ((), ("--json",)):
            cmds.append(["similar", article, *fmt])
            cmds.append(["coverage", article, *fmt])
    picked = ids[:3] + ids[len(ids) // 2 : len(ids) // 2 + 2] + ids[-2:]
    for article in picked:
        for variant in VARIANTS:
            for fmt in ((), ("--json",)):
                cmds.append(["similar", article, *variant, *fmt])
        cmds.append(["coverage", article, "--lang", "en", "--json"])
        cmds.append(["coverage", article, "--lang", "ar"])
    for source in sources[:3]:
        cmds.append(["similar", picked[0], "--source", source, "--json"])
        cmds.append(["search", QUERIES[0], "--source", source, "--json"])
    for text in QUERIES[:2]:
        for fmt in ((), ("--json",)):
            cmds.append(["similar", "--text", text, *fmt])
    for text in QUERIES:
        for mode in ("dense", "lexical", "hybrid"):
            for fmt in ((), ("--json",)):
                cmds.append(["search", text, "--mode", mode, *fmt])
        cmds.append(["search", text, "--lang", "ar", "--json"])
        cmds.append(["search", text, "--diverse", "-k", "5", "--json"])
        cmds.append(["search", text, "--recency", "90", "--json"])
    for fmt in ((), ("--json",)):
        cmds.append(["search", QUERIES[0], "--explain", *fmt])
        for extra in ((), ("--min-articles", "1"), ("--min-articles", "3"), ("--lang", "ar"), ("--lang", "fr")):
            cmds.append(["stories", *extra, *fmt])
        cmds.append(["dups", *fmt])
        cmds.append(["stats", *fmt])
    # errors are answers too
    cmds.append(["similar", "no-such-article", "--json"])
    cmds.append(["coverage", "no-such-article"])
    cmds.append(["similar", "--mode", "nonsense", ids[0]])
    return cmds


def run_all(root: Path) -> tuple[dict, list[dict]]:
    from typer.testing import CliRunner

    from akhbar.cli import app
    from akhbar.search import snapshot

    # The model loads once, not per command (2.7 s each here): the query embedder is the same for every
    # command on this index, so it is kept between commands; every answer still goes through the CLI.
    loaded: dict[tuple, object] = {}
    load = snapshot.query_embedder

    def query_embedder(manifest, model_name=None, backend="auto"):
        key = (repr(manifest), model_name, backend)
        if key not in loaded:
            loaded[key] = load(manifest, model_name, backend)
        return loaded[key]

    snapshot.query_embedder = query_embedder
    runner = CliRunner()

    placeholders: dict[str, str] = {str(root): "<index>"}

    def invoke(args: list[str]) -> tuple[int, str, str]:
        result = runner.invoke(app, [*args, "--index", str(root)])
        out, err = result.stdout, result.stderr
        for real, shown in placeholders.items():  # what differs between two builds of the same seeds
            out, err = out.replace(real, shown), err.replace(real, shown)
        return result.exit_code, out, err

    code, listing, _ = invoke(["stories", "--min-articles", "1", "--json"])
    if code:
        sys.exit(f"error: cannot list the stories of {root}: {listing}")
    stories = [orjson.loads(line) for line in listing.splitlines()]
    ids = sorted({a["id"] for s in stories for a in s["shown"]})
    sources = sorted({src for s in stories for src in s["sources"]})
    stats = orjson.loads(invoke(["stats", "--json"])[1])
    placeholders.update({stats["version"]: "<version>", stats["created"]: "<created>"})
    if len(ids) != stats["articles"]:
        sys.exit(f"error: the stories list {len(ids)} articles, the index holds {stats['articles']}")
    cmds = commands(ids, sources)
    answers = []
    started = time.perf_counter()
    for i, args in enumerate(cmds, 1):
        code, stdout, stderr = invoke(args)
        answers.append({"args": args, "exit": code, "stdout": stdout, "stderr": stderr})
        if i % 100 == 0 or i == len(cmds):
            print(f"  {i}/{len(cmds)} commands, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    header = {
        "cpu": cpu_name(),
        "python": platform.python_version(),
        "articles": len(ids),
        "commands": len(cmds),
        "manifest": {k: stats[k] for k in ("model", "model_checksum", "backend", "precision", "index_kind", "version")},
    }
    return header, answers


def prepared_index(given: Path | None, work: Path) -> Path:
    root = work / "idx"
    if given is not None:
        shutil.copytree(given, root)
        return root
    print(f"building the seed index from {SEEDS} into {root}", file=sys.stderr)
    akhbar = Path(sys.executable).parent / "akhbar"
    subprocess.run([str(akhbar), "build", str(SEEDS), "--index", str(root)], check=True, stdout=subprocess.DEVNULL)
    return root


def digest(answer: dict) -> str:
    return hashlib.sha256(orjson.dumps(answer)).hexdigest()[:16]


def compare(old: list[dict], new: list[dict]) -> int:
    """Prints every command whose answer differs; returns how many did."""
    before = {tuple(a["args"]): a for a in old}
    after = {tuple(a["args"]): a for a in new}
    differing = 0
    for args in sorted(set(before) | set(after)):
        a, b = before.get(args), after.get(args)
        if a is None or b is None:
            differing += 1
            print(f"DIFF {' '.join(args)}: only in the {'new' if a is None else 'recorded'} run")
            continue
        if a == b:
            continue
        differing += 1
        print(f"DIFF {' '.join(args)}: exit {a['exit']} -> {b['exit']}")
        for stream in ("stdout", "stderr"):
            la, lb = a[stream].splitlines(), b[stream].splitlines()
            for n, (x, y) in enumerate(zip(la + [""] * len(lb), lb + [""] * len(la))):
                if x != y:
                    print(f"  {stream} line {n + 1}:\n    - {x[:300]}\n    + {y[:300]}")
                    break
    return differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--record", type=Path, metavar="SNAPSHOT", help="write every answer to SNAPSHOT")
    what.add_argument("--compare", type=Path, metavar="SNAPSHOT", help="compare every answer with SNAPSHOT")
    parser.add_argument("--index", type=Path, help="query a copy of this index instead of building the seeds")
    args = parser.parse_args()
    os.environ.pop("AKHBAR_INDEX", None)
    with tempfile.TemporaryDirectory(prefix="akhbar-same-") as work:
        header, answers = run_all(prepared_index(args.index, Path(work)))
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        with gzip.GzipFile(args.record, "wb", mtime=0) as f:
            for line in (header, *answers):
                f.write(orjson.dumps(line) + b"\n")
        print(f"recorded {len(answers)} answers of {header['articles']} articles in {args.record} ({header['cpu']})")
        return
    with gzip.open(args.compare, "rb") as f:
        recorded_header, *recorded = [orjson.loads(line) for line in f]
    built = {k: v for k, v in header["manifest"].items() if k != "version"}
    if built != {k: v for k, v in recorded_header["manifest"].items() if k != "version"}:
        print(f"note: the index was made with {built}, the snapshot's with {recorded_header['manifest']}")
    differing = compare(recorded, answers)
    same = len(answers) - differing
    print(f"{same}/{len(answers)} answers byte-identical to {args.compare} (recorded on {recorded_header['cpu']}, now on {header['cpu']})")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
