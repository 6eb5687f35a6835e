"""Requests per second of `akhbar serve --workers 1` against `--workers 2` at 100k articles, in one run.

Usage: python bench/serve_workers.py --from-index SRC [-n 100000] [--seconds 15] [--clients 16] [--rounds 2]
       [--work /tmp/akhbar-serve-workers] [--out bench/results/serve-workers-100k.json]

Builds (once) an index of n articles replicated from SRC's stored vectors (bench/synthetic.py, as
bench/serve_http.py does). Then, --rounds times, alternating 1 and 2 workers so that load from other
work on the machine falls on both: starts a server, warms it (every worker answers a box and loads
the model with a search), and for --seconds each measures
- the box: GET /api/similar/{id} for random ids,
- a text search: GET /api/search?q=… for queries made of the first words of random titles,
from --clients threads, each on its own keep-alive connection (the standard library's
http.client), renewed every --per-connection requests: the workers share one listening socket and
whichever accepts first keeps the connection, so 16 connections opened at once can all land on one
worker (seen here: 720 requests to one worker, none to the other); renewing them spreads the load
as a balancer's pool of connections does over time. The spread is recorded. The
figure is the median over rounds of each side's requests per second, and 2 workers over 1.
Prints JSON and writes it to --out; records the CPU, its flags and the load average before and after
each measurement (the machine may be shared: the load says how far to trust the ratio).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import numpy as np

from akhbar.search.snapshot import open_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its neighbour in bench/
from serve_http import cpu, synthetic_index  # noqa: E402


def start(root: Path, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "akhbar.cli", "serve", "--index", str(root), "--port", str(port), "--workers", str(workers)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"127.0.0.1:{port}"
    for _ in range(900):
        try:
            if get(url, "/healthz")[0] == 200:
                return proc, url
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(log.read_text()) from None
            time.sleep(0.2)
    stop(proc)
    raise SystemExit("the server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def get(url: str, path: str, conn: http.client.HTTPConnection | None = None) -> tuple[int, str]:
    """(status, worker pid) of one GET; on `conn` (kept alive) or a connection of its own."""
    c = conn or http.client.HTTPConnection(url, timeout=120)
    c.request("GET", path)
    r = c.getresponse()
    r.read()
    if conn is None:
        c.close()
    return r.status, r.getheader("x-akhbar-worker", "")


def warm(url: str, workers: int, box: str, search: str) -> None:
    """Every worker has answered a box and a search (the search loads its model): new connections until then."""
    done: set[str] = set()
    for _ in range(2000):
        if len(done) >= workers:
            return
        status, pid = get(url, search)
        assert status == 200, status
        get(url, box)
        done.add(pid)
    raise SystemExit(f"only {len(done)} of {workers} workers answered")


def server_pids(parent: int) -> list[int]:
    """The server's parent and its worker processes."""
    pids = [parent]
    for task in Path(f"/proc/{parent}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    return pids


def rss_mb(parent: int) -> list[float]:
    """Resident memory of the parent and each worker (the model loaded: each worker answered a search)."""
    out = []
    for pid in server_pids(parent):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        out.append(round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024, 1))
    return out


def cpu_seconds(parent: int) -> float:
    """CPU time (user + system) the server has used so far: the parent and its worker processes."""
    total = 0
    for pid in server_pids(parent):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def load(url: str, paths: list[str], clients: int, seconds: float, server: int, per_connection: int) -> dict:
    """--clients threads, each on one keep-alive connection, for `seconds`: requests per second and latency,
    and the cores the server used meanwhile (requests per CPU second does not depend on what else runs)."""
    latencies: list[float] = []
    by_worker: Counter[str] = Counter()
    failures: Counter[int] = Counter()
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def client(c: int) -> None:
        conn = http.client.HTTPConnection(url, timeout=120)
        i = c
        while time.monotonic() < end:
            if i // clients % per_connection == 0 and i >= clients:  # a new connection now and then, as a balancer's pool renews
                conn.close()
                conn = http.client.HTTPConnection(url, timeout=120)
            t = time.perf_counter()
            status, pid = get(url, paths[i % len(paths)], conn)
            took = time.perf_counter() - t
            i += clients
            with lock:
                latencies.append(took)
                by_worker[pid] += 1
                if status != 200:
                    failures[status] += 1
        conn.close()

    load_before = os.getloadavg()[0]
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    started, cpu_before = time.monotonic(), cpu_seconds(server)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, used = time.monotonic() - started, cpu_seconds(server) - cpu_before
    ms = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "server_cores_used": round(used / elapsed, 2),
        "requests_per_server_cpu_second": round(len(latencies) / used, 1) if used else None,
        "share_by_worker": sorted(by_worker.values(), reverse=True),
        "non_200": dict(failures),
        "load_1min_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--from-index", type=Path, required=True)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--per-connection", type=int, default=25, help="requests a client sends on one connection before it opens another")
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-serve-workers"))
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    root = synthetic_index(args.from_index, args.work, args.n)
    idx = open_snapshot(root)
    rng = np.random.default_rng(3)
    positions = rng.choice(args.n, 400, replace=False).tolist()
    rows = idx.rows(positions, "pos, id, title")
    boxes = [f"/api/similar/{quote(rows[p]['id'], safe='')}?k=10" for p in positions]
    searches = [f"/api/search?q={quote(' '.join(rows[p]['title'].split()[:4]))}&k=10" for p in positions if rows[p]["title"].strip()]
    result: dict = {
        "n": args.n,
        "clients": args.clients,
        "requests_per_connection": args.per_connection,
        "seconds_each": args.seconds,
        **cpu(),
        "uptime": _uptime(),
        "rounds": [],
    }
    for round_ in range(args.rounds):
        for workers in (1, 2):
            print(f"round {round_ + 1}/{args.rounds}: {workers} worker(s) …", file=sys.stderr)
            proc, url = start(root, workers, args.work / f"server-{workers}.log")
            try:
                warm(url, workers, boxes[0], searches[0])
                box = load(url, boxes, args.clients, args.seconds, proc.pid, args.per_connection)
                search = load(url, searches, args.clients, args.seconds, proc.pid, args.per_connection)
                memory = rss_mb(proc.pid)
            finally:
                stop(proc)
            result["rounds"].append(
                {"round": round_, "workers": workers, "box": box, "search": search, "rss_mb_parent_then_workers": memory}
            )
            print(
                f"  box {box['rps']} req/s (p50 {box['p50_ms']} ms, {box['server_cores_used']} cores), "
                f"search {search['rps']} req/s ({search['server_cores_used']} cores)",
                file=sys.stderr,
            )
    for what in ("box", "search"):
        rps = {w: statistics.median(r[what]["rps"] for r in result["rounds"] if r["workers"] == w) for w in (1, 2)}
        cores = {w: statistics.median(r[what]["server_cores_used"] for r in result["rounds"] if r["workers"] == w) for w in (1, 2)}
        result[f"{what}_rps_1_worker"], result[f"{what}_rps_2_workers"] = rps[1], rps[2]
        result[f"{what}_2_over_1"] = round(rps[2] / rps[1], 3)
        result[f"{what}_server_cores_used_1_and_2_workers"] = [cores[1], cores[2]]
    result["load_average_at_end"] = os.getloadavg()
    out = json.dumps(result, indent=1)
    print(out)
    if args.out:
        args.out.write_text(out + "\n")


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
