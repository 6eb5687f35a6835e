"""Soak `akhbar serve` while `akhbar add` publishes new versions: no 5xx, no torn answer, flat memory.

Usage: python bench/serve_soak.py --index ROOT [--requests 6000] [--clients 16] [--every 3] [--max-seconds 900]

Works on a copy of ROOT (e.g. the 100k index bench/serve_http.py builds). A real server on
127.0.0.1 answers GET /api/similar/{id} to `--clients` threads while a writer runs `akhbar add`
every `--every` seconds with 200 new articles (new ids, texts already in the index, so nothing
is embedded and each add is the write path alone: a delta publish, or a merge when the delta
passes 2% of the base), and `akhbar remove` of them `--every` seconds later, so the index keeps
its size. Bounded: stops at `--requests` requests or `--max-seconds`, whichever
comes first, and always stops the server. Checks, for every answer: the status is not 5xx; its
version (X-Akhbar-Version) is one that was published; every id it returns (rows and folded
copies) exists in a published version. The server's resident memory is read after every 1,000
requests, its own (anonymous) pages apart from the index files' mapped pages. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from akhbar.search.snapshot import open_snapshot

sys.path.insert(0, str(Path(__file__).parent))
from serve_http import cpu, start_server  # noqa: E402


def memory_mb(pid: int, requests: int) -> dict:
    """The server's resident memory, split: `anon` is its own (heap, caches: a leak shows here),
    `file` the pages of the index's memory-mapped files it has touched, bounded by their size and
    shared with the page cache."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    mb = {name: round(int(fields[key].split()[0]) / 1024, 1) for name, key in (("rss", "VmRSS"), ("anon", "RssAnon"), ("file", "RssFile"))}
    return {"requests": requests, **mb}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--requests", type=int, default=6000)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--every", type=float, default=3.0, help="seconds between the end of one add and the next")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--max-seconds", type=float, default=900)
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-serve-soak"))
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    root = args.work / "idx"
    shutil.copytree(args.index, root, ignore=shutil.ignore_patterns(".staging-*", "LOCK"))
    idx = open_snapshot(root)
    published_ids = {r[0] for r in idx.in_order("id")}
    sources = idx.in_order("id, title, body, lang, date, source", limit=5000)
    query_ids = sorted(published_ids)
    published_versions = {idx.folder.name}
    del idx

    proc, url = start_server(root, args.work / "server.log")
    lock = threading.Lock()
    stop = threading.Event()
    statuses: dict[int, int] = {}
    torn: list[str] = []
    unknown_versions: set[str] = set()
    answers: list[tuple[str, list[str]]] = []  # (version, ids) checked at the end against every publish
    memory: list[tuple[int, float]] = []
    count = [0]
    writes: list[dict] = []

    def publish(command: list[str]) -> None:
        t = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "akhbar.cli", *command, "--index", str(root), "--json"], capture_output=True, text=True
        )
        took = time.perf_counter() - t
        if done.returncode != 0:
            writes.append({"command": command[0], "error": done.stderr.strip()[-300:]})
            return
        s = json.loads(done.stdout)
        with lock:
            published_versions.add(s["version"])
        writes.append({"command": command[0], "version": s["version"], "articles": s["articles"], "seconds": round(took, 2)})

    def writer() -> None:
        """Adds a batch, then removes it, and so on: the index keeps its size, so memory can stay flat."""
        n = 0
        while not stop.is_set():
            rows = sources[(n * args.batch) % len(sources) :][: args.batch]
            ids = [f"{r[0]}+soak{n}" for r in rows]
            new = args.work / f"add-{n}.jsonl"
            new.write_text(
                "".join(
                    json.dumps({"id": i, "title": r[1], "body": r[2], "lang": r[3], "date": r[4], "source": r[5]}, ensure_ascii=False)
                    + "\n"
                    for i, r in zip(ids, rows)
                )
            )
            with lock:
                published_ids.update(ids)  # before the publish: they may show up from then on
            publish(["add", str(new)])
            stop.wait(args.every)
            if stop.is_set():
                break
            gone = args.work / f"remove-{n}.txt"
            gone.write_text("\n".join(ids) + "\n")
            publish(["remove", "--file", str(gone)])
            n += 1
            stop.wait(args.every)

    rng = np.random.default_rng(3)
    picks = rng.integers(0, len(query_ids), args.requests * 2)

    def client(c: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            k = c
            while not stop.is_set():
                with lock:
                    if count[0] >= args.requests:
                        return
                    count[0] += 1
                    done = count[0]
                article = query_ids[int(picks[k % len(picks)])]
                k += args.clients
                r = http.get(f"/api/similar/{article}", params={"k": 10})
                with lock:
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    if r.status_code == 200:
                        body = r.json()
                        ids = [body["article"]["id"]] + [c["id"] for c in body["copies"]]
                        ids += [h["id"] for h in body["results"]] + [a["id"] for h in body["results"] for a in h["also"]]
                        answers.append((r.headers.get("x-akhbar-version", ""), ids))
                    if done % 1000 == 0:
                        memory.append(memory_mb(proc.pid, done))

    started = time.monotonic()
    w = threading.Thread(target=writer)
    clients = [threading.Thread(target=client, args=(c,)) for c in range(args.clients)]
    try:
        w.start()
        for t in clients:
            t.start()
        deadline = started + args.max_seconds
        while any(t.is_alive() for t in clients) and time.monotonic() < deadline:
            time.sleep(0.5)
        stop.set()
        for t in clients:
            t.join()
        w.join()
        memory.append(memory_mb(proc.pid, count[0]))
    finally:
        stop.set()
        proc.terminate()
        proc.wait(10)
    seconds = time.monotonic() - started
    for version, ids in answers:
        if version not in published_versions:
            unknown_versions.add(version)
        torn.extend(i for i in ids if i not in published_ids)
    first, last = memory[0], memory[-1]
    print(
        json.dumps(
            {
                **cpu(),
                "index": str(args.index),
                "requests": sum(statuses.values()),
                "clients": args.clients,
                "seconds": round(seconds, 1),
                "rps": round(sum(statuses.values()) / seconds, 1),
                "statuses": statuses,
                "5xx": sum(v for k, v in statuses.items() if k >= 500),
                "versions_published": len(published_versions) - 1,
                "versions_answered_from": len({v for v, _ in answers}),
                "answers_from_unpublished_versions": sorted(unknown_versions),
                "torn_ids": torn[:20],
                "torn_count": len(torn),
                "memory_mb_by_requests": memory,
                **{f"{kind}_growth_first_to_last_thousand_mb": round(last[kind] - first[kind], 1) for kind in ("rss", "anon", "file")},
                "writes": writes,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
