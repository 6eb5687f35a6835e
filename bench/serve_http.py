"""`akhbar serve` over HTTP against the same call in-process, at 100k articles.

Usage: python bench/serve_http.py --from-index SRC [-n 100000] [--requests 400] [--work /tmp/akhbar-serve-bench]

Builds (once) an index of n articles replicated from SRC's stored vectors (bench/synthetic.py, as
bench/scale.py does), then measures `similar ID` for random ids: in this process (the query and
the JSON body, what the endpoint computes and `akhbar similar --json` prints, on one open index
kept warm like the server's) and as GET /api/similar/{id} from 1, 4 and 16 concurrent clients
(threads with keep-alive connections) to a real server on 127.0.0.1.

The clients are the standard library's http.client: what is timed is the server and the wire,
not a client library's own work (httpx adds ~0.5 ms a request of its own; `http_1_httpx` shows
it). In-process and single-client HTTP runs alternate, three rounds for each of --servers server
processes started one after another (two processes of the same code differed by up to 10% here,
the rounds of one process by less), so load from other work falls on both sides; the ratio is the
median over rounds of HTTP's p50 over the in-process p50 just before it. Prints JSON.
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
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import orjson

from akhbar.index.errors import IndexNotFound
from akhbar.index.store import layout
from akhbar.search import present
from akhbar.search.options import QueryOptions
from akhbar.search.query import similar_to_id
from akhbar.search.snapshot import open_snapshot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.synthetic, run as a script too
from bench.synthetic import replicate  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def summary(latencies: list[float], seconds: float) -> dict:
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
    }


def in_process(idx, ids: list[str]) -> dict:
    lat = []
    start = time.perf_counter()
    for i in ids:
        t = time.perf_counter()
        box = similar_to_id(idx, i, QueryOptions(k=10))
        orjson.dumps({**present.box_head(box), "results": present.hit_rows(box, idx)})
        lat.append(time.perf_counter() - t)
    return summary(lat, time.perf_counter() - start)


def fetcher(url: str, library: str):
    """A keep-alive connection to the server, as a function from a path to an HTTP status."""
    if library == "httpx":
        session = httpx.Client(base_url=url, timeout=60)
        return lambda path: session.get(path).status_code
    conn = http.client.HTTPConnection(url.split("//", 1)[1], timeout=60)

    def fetch(path: str) -> int:
        conn.request("GET", path)
        answer = conn.getresponse()
        answer.read()
        return answer.status

    return fetch


def over_http(url: str, ids: list[str], clients: int, library: str = "http.client") -> dict:
    lat: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    share = [ids[c::clients] for c in range(clients)]

    def client(mine: list[str]) -> None:
        fetch = fetcher(url, library)
        for i in mine:
            t = time.perf_counter()
            status = fetch(f"/api/similar/{quote(i, safe='')}?k=10")
            took = time.perf_counter() - t
            with lock:
                lat.append(took)
                if status != 200:
                    errors.append(status)

    threads = [threading.Thread(target=client, args=(s,)) for s in share]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {**summary(lat, time.perf_counter() - start), "clients": clients, "client": library, "non_200": len(errors)}


def start_server(root: Path, log: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "akhbar.cli", "serve", "--index", str(root), "--port", str(port)], stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(url + "/healthz", timeout=2)
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise SystemExit(log.read_text()) from None
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) / 1024, 1)


def cpu() -> dict:
    info = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "flags": sorted(flags & {"avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_tile"}),
        "load_average_at_start": os.getloadavg(),
    }


def synthetic_index(src: Path, work: Path, n: int) -> Path:
    root = work / f"n{n}"
    try:
        layout.current_version(root)
    except IndexNotFound:
        print(f"building {root} from {src} …", file=sys.stderr)
        replicate(src, root, n)
    return root


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--from-index", type=Path, required=True)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=400, help="per measurement")
    ap.add_argument("--work", type=Path, default=Path("/tmp/akhbar-serve-bench"))
    ap.add_argument("--servers", type=int, default=3, help="server processes started one after another")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server
    args.work.mkdir(parents=True, exist_ok=True)
    root = synthetic_index(args.from_index, args.work, args.n)
    idx = open_snapshot(root)
    rng = np.random.default_rng(2)
    positions = rng.choice(args.n, args.requests, replace=False)
    found = idx.rows(positions.tolist(), "pos, id")
    ids = [found[int(p)]["id"] for p in positions]
    result: dict = {
        "n": args.n,
        "requests_per_measurement": len(ids),
        **cpu(),
        # what uvicorn picks ("auto"): the C parser and loop when installed
        "server_http": "httptools" if find_spec("httptools") else "h11",
        "server_loop": "uvloop" if find_spec("uvloop") else "asyncio",
    }
    rounds = []
    for server in range(args.servers):  # a fresh process each time: runs of one server agree, runs of two differ
        proc, url = start_server(root, args.work / "server.log")
        try:
            in_process(idx, ids)  # warm: the same requests once, untimed, on both sides
            over_http(url, ids, 4)
            for _ in range(3):
                rounds.append({"server": server, "in_process": in_process(idx, ids), "http_1": over_http(url, ids, 1)})
            if server == args.servers - 1:
                result["http_1_httpx"] = over_http(url, ids, 1, "httpx")
                for c in (4, 16):
                    result[f"http_{c}"] = over_http(url, ids, c)
                result["server_rss_mb"] = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    result["rounds"] = rounds
    ratios = sorted(r["http_1"]["p50_ms"] / r["in_process"]["p50_ms"] for r in rounds)
    result["in_process_p50_ms"] = statistics.median(r["in_process"]["p50_ms"] for r in rounds)
    result["http_1_p50_ms"] = statistics.median(r["http_1"]["p50_ms"] for r in rounds)
    # each round's HTTP p50 over the in-process p50 measured just before it; the median of those
    result["http_over_in_process_p50"] = round(statistics.median(ratios), 3)
    result["http_over_in_process_p50_range"] = [round(ratios[0], 3), round(ratios[-1], 3)]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
