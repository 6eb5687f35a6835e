"""`akhbar serve --workers 2` and `--read-only` as real processes on 127.0.0.1, over one copy of the
seed index: both workers answer and follow a write within a second, HTTP writes take turns across
workers, /metrics adds up both workers' counts, a kill -9 of a worker costs no 5xx, and a read-only
server on the same folder follows the writer's versions and writes nothing."""

from __future__ import annotations

import calendar
import contextlib
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from akhbar.index.store import layout
from tests.conftest import SERVE_TOKEN
from tests.helpers import CORPUS, SEED_PAGE_ID
from tests.serve.servers import Serving, fresh, health_by_worker

AUTH = {"Authorization": f"Bearer {SERVE_TOKEN}"}


@pytest.fixture(scope="module")
def shared_root(seed_index, tmp_path_factory) -> Path:
    import shutil

    root = tmp_path_factory.mktemp("workers") / "idx"
    shutil.copytree(seed_index, root)
    return root


@pytest.fixture(scope="module")
def workers(shared_root):
    server = Serving(shared_root, shared_root.parent / "workers.log", "--workers", "2")
    try:
        yield server.wait()
    finally:
        assert server.stop() == 0, server.log.read_text()[-3000:]  # a clean, graceful stop


@pytest.fixture(scope="module")
def replica(shared_root):
    """A read-only server on the same folder the workers write."""
    server = Serving(shared_root, shared_root.parent / "replica.log", "--read-only", token=None)
    try:
        yield server.wait()
    finally:
        server.stop()


def _new_article(article_id: str) -> dict:
    """A seed article's text under a new id: its vector is found in the index, the write embeds nothing."""
    seed = next(a for a in CORPUS if a["id"] == "fr-quake-ma-01")
    return {**seed, "id": article_id}


def test_both_workers_answer_and_every_one_follows_a_write_within_a_second(workers, replica):
    before = health_by_worker(workers.url)
    assert len(before) == 2, f"only one worker answered 300 new connections: {before}"
    assert len({h["version"] for h in before.values()}) == 1

    added = httpx.post(workers.url + "/api/articles", json=[_new_article("workers-1")], headers=AUTH, timeout=300)
    assert added.status_code == 200, added.text
    published, at = added.json()["version"], time.monotonic()
    assert published == layout.current_version(workers.root).name

    answers: list[tuple[float, int, str]] = []  # (seconds after the write returned, worker, version)
    new_by: set[int] = set()
    while len(new_by) < 2 and time.monotonic() - at < 10:
        r = fresh(workers.url, "/healthz")
        answers.append((time.monotonic() - at, r.json()["pid"], r.json()["version"]))
        if r.json()["version"] == published:
            new_by.add(r.json()["pid"])
    late = [a for a in answers if a[2] != published and a[0] > 1.0]
    assert not late, f"answers from an old version more than 1 s after the write: {late[:3]}"
    assert len(new_by) == 2, f"not every worker answered from the new version: {answers[-5:]}"
    for _ in range(6):
        assert fresh(workers.url, "/api/similar/workers-1").status_code == 200

    deadline = at + 1.0  # the read-only server on the same folder follows too
    while fresh(replica.url, "/healthz").json()["version"] != published:
        assert time.monotonic() < deadline, "the read-only server still answers from the old version 1 s after the write"
        time.sleep(0.02)
    assert fresh(replica.url, "/api/similar/workers-1").status_code == 200


def test_writes_through_different_workers_take_turns(workers):
    """Two writes at once, until they land on two workers: both publish (one waited for the other's
    turn: without the shared lock, the second would find the index locked and answer 409)."""

    def post(article_id: str, answers: list[httpx.Response]) -> None:
        answers.append(
            httpx.post(workers.url + "/api/articles", json=[_new_article(article_id)], headers=AUTH | {"Connection": "close"}, timeout=300)
        )

    for round_ in range(6):
        answers: list[httpx.Response] = []
        ids = [f"turns-{round_}-{i}" for i in range(2)]
        threads = [threading.Thread(target=post, args=(i, answers)) for i in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
        assert len({r.json()["version"] for r in answers}) == 2  # one version each, one after the other
        if len({r.headers["x-akhbar-worker"] for r in answers}) == 2:
            break
    else:
        pytest.fail("six rounds of two writes at once never reached both workers")
    assert all(fresh(workers.url, f"/api/similar/{i}").status_code == 200 for i in ids)


def _scrape(url: str) -> dict[str, float]:
    """The samples of /metrics: 'name{labels}' → value (text format, one sample a line)."""
    r = fresh(url, "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out = {}
    for line in r.text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


def _watched(root: Path) -> None:
    """What rounds of `akhbar watch` leave in its state file: one link indexed, two to retry, one given up."""
    from akhbar.watch.state import State

    state = State(root)
    try:
        state.already_indexed("https://example.org/news/1")
        state.failed("https://example.org/news/2", "timeout", retry=True)
        state.failed("https://example.org/news/3", "HTTP 503", retry=True)
        state.failed("https://example.org/news/4", "HTTP 404", retry=False)
    finally:
        state.close()


def test_metrics_add_up_what_both_workers_answered(workers):
    before = _scrape(workers.url)
    answered_by: set[str] = set()
    for _ in range(40):
        answered_by.add(fresh(workers.url, f"/api/similar/{SEED_PAGE_ID}").headers["x-akhbar-worker"])
    for _ in range(7):
        answered_by.add(fresh(workers.url, "/api/similar/no-such-article").headers["x-akhbar-worker"])
    for _ in range(3):
        assert fresh(workers.url, "/api/stories", params={"min_articles": 0}).status_code == 422
    removed = httpx.delete(workers.url + "/api/articles/workers-1", headers=AUTH, timeout=300)
    assert removed.status_code == 200, removed.text
    text = httpx.post(workers.url + "/api/similar", json={"text": "زلزال في المغرب"}, timeout=300)
    assert text.status_code == 200, text.text
    assert len(answered_by) == 2, "the traffic did not reach both workers"
    _watched(workers.root)
    after = _scrape(workers.url)

    def sent(key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    box = 'route="/api/similar/{article_id}"'
    assert sent(f'akhbar_http_requests_total{{method="GET",{box},status="200"}}') == 40
    assert sent(f'akhbar_http_requests_total{{method="GET",{box},status="404"}}') == 7
    assert sent('akhbar_http_requests_total{method="GET",route="/api/stories",status="422"}') == 3
    assert sent(f"akhbar_http_request_duration_seconds_count{{{box}}}") == 47
    assert sent(f'akhbar_http_request_duration_seconds_bucket{{le="+Inf",{box}}}') == 47
    assert sent('akhbar_writes_total{kind="remove",outcome="published"}') == 1
    assert sent("akhbar_query_embedding_seconds_count") == 1
    assert [after[f'akhbar_watch_links{{status="{s}"}}'] for s in ("indexed", "retry", "given_up")] == [1, 2, 1]
    health = fresh(workers.url, "/healthz").json()
    assert after["akhbar_index_articles"] == health["articles"]
    name = health["version"]  # v-YYYYmmddTHHMMSS.micro-…, in UTC
    published = calendar.timegm(time.strptime(name[2:17], "%Y%m%dT%H%M%S")) + int(name[18:24]) / 1e6
    assert abs(after["akhbar_index_version_published_seconds"] - published) < 1e-3


def test_a_worker_killed_while_it_writes_loses_nothing(workers):
    """kill -9 of the worker in the middle of an HTTP write: the index stays as it was (no version
    published, every answer from the old one), the write lock dies with the worker, and the same
    write sent again publishes."""
    pids = set(health_by_worker(workers.url))
    before = fresh(workers.url, "/healthz").json()
    body = [{**_new_article(f"killed-write-{i}"), "body": f"{_new_article('x')['body']} (update {i})"} for i in range(40)]
    posted: list[object] = []

    def post() -> None:
        try:
            posted.append(httpx.post(workers.url + "/api/articles", json=body, headers=AUTH | {"Connection": "close"}, timeout=300))
        except httpx.TransportError as exc:
            posted.append(exc)

    writing = threading.Thread(target=post)
    writing.start()
    writer, deadline = None, time.monotonic() + 120
    while writer is None and time.monotonic() < deadline and writing.is_alive():
        writer = next((pid for pid in pids if any(".staging-" in target for target in _open_files(pid))), None)
        time.sleep(0.01)
    assert writer is not None, f"no worker was seen writing: {posted}"
    os.kill(writer, signal.SIGKILL)
    writing.join(60)
    assert isinstance(posted[0], httpx.TransportError), posted  # the client's request died with the worker
    assert layout.current_version(workers.root).name == before["version"]
    for _ in range(10):
        h = fresh(workers.url, "/healthz").json()
        assert (h["version"], h["articles"]) == (before["version"], before["articles"])
    again = httpx.post(workers.url + "/api/articles", json=body, headers=AUTH, timeout=300)
    assert again.status_code == 200 and again.json()["indexed"] == 40, again.text
    assert again.json()["articles"] == before["articles"] + 40


def _open_files(pid: int) -> list[str]:
    """What process `pid` holds open (descriptors closed meanwhile left out)."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found.append(os.readlink(fd))
    return found


def test_a_worker_killed_under_load_costs_no_5xx(workers):
    pids = sorted(health_by_worker(workers.url))
    assert len(pids) == 2
    answers: list[tuple[float, int]] = []  # (when, status)
    dropped: list[float] = []  # connections the killed worker held: reset, no answer
    stop = time.monotonic() + 7

    def client() -> None:
        while time.monotonic() < stop and len(answers) < 1000:
            try:
                answers.append((time.monotonic(), fresh(workers.url, f"/api/similar/{SEED_PAGE_ID}").status_code))
            except httpx.TransportError:
                dropped.append(time.monotonic())

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(2)
    os.kill(pids[0], signal.SIGKILL)
    killed_at = time.monotonic()
    for t in threads:
        t.join(30)
    assert all(status == 200 for _, status in answers), sorted({status for _, status in answers})
    assert sum(when > killed_at for when, _ in answers) >= 20, "the other worker stopped answering"
    assert len(dropped) <= 4 and all(abs(d - killed_at) < 2 for d in dropped), dropped  # only the requests in flight
    after = health_by_worker(workers.url)  # uvicorn replaced the killed worker
    assert len(after) == 2 and pids[0] not in after, after
    assert len({h["version"] for h in after.values()}) == 1


def _open_for_writing(pid: int, under: Path) -> list[str]:
    """Files under `under` that process `pid` holds open for writing (from /proc/PID/fdinfo's flags)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
            flags = int(
                next(line for line in Path(f"/proc/{pid}/fdinfo/{fd.name}").read_text().splitlines() if line.startswith("flags")).split()[
                    1
                ],
                8,
            )
        except (FileNotFoundError, StopIteration):
            continue
        if target.startswith(str(under)) and flags & os.O_ACCMODE != os.O_RDONLY:
            found.append(target)
    return found


def test_the_read_only_server_refuses_writes_and_holds_no_file_open_for_writing(replica):
    for r in (
        httpx.post(replica.url + "/api/articles", json=[_new_article("ro-1")], headers=AUTH),
        httpx.delete(replica.url + f"/api/articles/{SEED_PAGE_ID}", headers=AUTH),
    ):
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/json"), r.text
        assert "read-only" in r.json()["error"] and "\n" not in r.json()["error"]
    assert fresh(replica.url, "/healthz").json()["read_only"] is True
    assert fresh(replica.url, f"/api/similar/{SEED_PAGE_ID}").status_code == 200
    assert _open_for_writing(replica.proc.pid, replica.root) == []


def test_the_open_for_writing_check_finds_a_file_open_for_writing(tmp_path):
    with open(tmp_path / "w", "a"), open(tmp_path / "r", "w"):
        pass
    with open(tmp_path / "w", "a"), open(tmp_path / "r"):
        assert _open_for_writing(os.getpid(), tmp_path) == [str(tmp_path / "w")]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in [root, *root.rglob("*")]}


def test_a_read_only_server_writes_nothing_in_its_folder_and_outlives_a_copy_made_in_the_wrong_order(seed_index, tmp_path):
    import shutil

    root = tmp_path / "ro"
    shutil.copytree(seed_index, root)
    _watched(root)  # a poller's state file (SQLite in WAL mode), read by /metrics
    before = _snapshot(root)
    server = Serving(root, tmp_path / "ro.log", "--read-only", "--workers", "2", token=SERVE_TOKEN).wait()
    try:
        for path in (f"/api/similar/{SEED_PAGE_ID}", f"/api/coverage/{SEED_PAGE_ID}", "/api/stories", "/api/dups", "/api/stats"):
            assert fresh(server.url, path).status_code == 200, path
        for path in (f"/article/{SEED_PAGE_ID}", "/docs", "/healthz"):
            assert fresh(server.url, path).status_code == 200, path
        assert 'akhbar_watch_links{status="given_up"} 1.0' in fresh(server.url, "/metrics").text
        assert httpx.post(server.url + "/api/articles", json=[_new_article("ro-2")], headers=AUTH).status_code == 403
        assert any(name.startswith(layout.VERSION_PREFIX) and name.endswith(".sqlite") for name in before)  # it saw the files
        assert _snapshot(root) == before

        # a copy made in the wrong order: CURRENT names a version not there yet; the replica answers from the one it has
        served = fresh(server.url, "/healthz").json()["version"]
        (root / "CURRENT.new").write_text("v-20991231T000000.000000-notyet\n")
        os.replace(root / "CURRENT.new", root / "CURRENT")
        for _ in range(20):
            r = fresh(server.url, f"/api/similar/{SEED_PAGE_ID}")
            assert r.status_code == 200 and r.headers["x-akhbar-version"] == served
        (root / "CURRENT.new").write_text(served + "\n")
        os.replace(root / "CURRENT.new", root / "CURRENT")
        assert fresh(server.url, "/healthz").json()["version"] == served
    finally:
        assert server.stop() == 0
    assert "cannot open the version CURRENT names" in server.log.read_text()
