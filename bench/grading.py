"""Grading benchmark: latency of lock, heartbeat, draft save and score save under concurrent teachers,
and the seconds from finalise to GRADED of a 4-page copy, against the real local stack.

    python -m bench.grading [--teachers 50] [--rounds 20]
    python -m bench.grading --url http://127.0.0.1:8000 --endpoint http://127.0.0.1:4566

By default it starts its own stack (``python -m infra.local.dev``: moto's server, ``chalice local``, the
event pump and the gateway) on free ports with a temporary state directory, and stops it at the end.
With ``--url`` it uses an already running one instead; ``--endpoint`` is then that stack's AWS endpoint,
needed to seed data (the benchmark's teachers, exam and copies stay in that stack afterwards).

Seeding goes straight to the emulator through ``chalicelib``: the teachers (``users.create_user``), one
exam with a 4-question scheme, and per teacher one READY copy of 4 real scanned pages (150-DPI grey
JPEGs from ``tests.support.scans``) dispatched to them, plus 3 copies for the finalise measurement.

Load, over HTTP through the gateway only: one thread per teacher signs in with its own session, then all
start together (a barrier), take their copy's lock and, for each round, send a heartbeat, a draft save
(its version increasing) and a score save. Closed loop, no think time: every teacher sends its next
request as soon as the previous one answers, so the figures are those of a saturated stack.
Then one teacher scores and annotates a copy, finalises it and polls the copy every 0.1 s until the
stack's own event pump has rendered it GRADED (3 copies, one after the other).

Prints figures only; asserts nothing. Everything talks to 127.0.0.1 only and is bounded by ``--deadline``.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Quartz-Meadow-Lantern-58"  # noqa: S105 - benchmark accounts on a throwaway local stack
PAGES = 4
FINALISE_COPIES = 3
QUESTIONS = {"q1": 4, "q2": 5, "q3": 5, "q4": 6}  # id → points, 20 in all
OPERATIONS = ("lock", "heartbeat", "draft save", "score save")
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 180.0
GRADED_TIMEOUT = 120.0
SIGN_IN_ATTEMPTS = 5
FINALISE_RESERVE = 60.0  # seconds of the overall deadline kept for the finalise measurement
POLL_SECONDS = 0.1
READY_LINE = "Korrigo is running at"
MARKER = "KORRIGO_BENCH_RUN_ID"  # inherited by every process the started stack runs: the stop's safety net


class OutOfTime(Exception):
    """The overall deadline passed."""


class Deadline:
    """A time budget: the whole run's, or a phase's (ending earlier)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def before(self, reserve: float) -> Deadline:
        """A deadline ``reserve`` seconds before this one (the phase's share of the time left)."""
        return Deadline(max(0.0, self.left() - reserve))

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, what: str) -> None:
        if self.left() <= 0:
            raise OutOfTime(f"the deadline passed during {what}")

    def timeout(self, limit: float) -> float:
        """A timeout of at most ``limit`` seconds that does not overrun the deadline (0.5 s minimum)."""
        return max(0.5, min(limit, self.left()))


# --- the stack ----------------------------------------------------------------------------------------

def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 (held open together so none is handed out twice)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def loopback(url: str) -> bool:
    """True for an http URL on 127.0.0.1."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname == "127.0.0.1"


class LocalStack:
    """``python -m infra.local.dev`` on free ports with its own state directory, output read continuously."""

    def __init__(self, state_dir: Path) -> None:
        self.port, self.api_port, self.emulator_port = free_ports(3)
        self.state_dir = state_dir
        self.url = f"http://127.0.0.1:{self.port}"
        self.endpoint = f"http://127.0.0.1:{self.emulator_port}"
        self.marker = uuid.uuid4().hex
        self.lines: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    def start(self, deadline: Deadline) -> None:
        env = {key: value for key, value in os.environ.items()
               if key not in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN")
               and not key.startswith("MOTO_")}
        env.update(PORT=str(self.port), KORRIGO_API_PORT=str(self.api_port),
                   KORRIGO_EMULATOR_PORT=str(self.emulator_port), KORRIGO_STATE_DIR=str(self.state_dir),
                   **aws_environment(), **{MARKER: self.marker})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.dev"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        stdout = self.process.stdout
        threading.Thread(target=lambda: self.lines.extend(iter(stdout.readline, "")), daemon=True).start()
        limit = time.monotonic() + deadline.timeout(START_TIMEOUT)
        while not any(READY_LINE in line for line in self.lines):
            if self.process.poll() is not None:
                raise SystemExit(f"bench: the stack exited with {self.process.returncode}\n{self.tail()}")
            if time.monotonic() > limit:
                raise SystemExit(f"bench: the stack did not start in time\n{self.tail()}")
            time.sleep(0.2)

    def tail(self) -> str:
        """The runner's output and the end of each component's log."""
        logs = "".join(f"\n--- {path.name}\n{path.read_text(errors='replace')[-2000:]}"
                       for path in sorted(self.state_dir.glob("*.log")))
        return "".join(self.lines) + logs

    def stop(self) -> None:
        """SIGTERM the runner's process group (it stops what it started), SIGKILL after 30 s."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # stragglers of the group, even if the leader exited
        except (ProcessLookupError, PermissionError):
            pass
        if process.poll() is None:
            process.wait(timeout=5)
        for pid in self.leftovers():  # components orphaned by a runner that had to be killed
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def leftovers(self) -> set[int]:
        """Live processes carrying this run's marker (only ever processes this stack started)."""
        needle = f"{MARKER}={self.marker}".encode()
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                continue
        return found


def aws_environment() -> dict[str, str]:
    """Dummy credentials and the region the stack uses; proxies never apply to the loopback."""
    return {
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-3"),
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "KORRIGO_STAGE": "local",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def use_endpoint(endpoint: str) -> None:
    """Point this process at the stack's emulator; must run before anything imports ``chalicelib``."""
    if any(name == "chalicelib" or name.startswith("chalicelib.") for name in sys.modules):
        raise RuntimeError("chalicelib was imported before the endpoint was set")
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(AWS_ENDPOINT_URL=endpoint, **aws_environment())


# --- seeding ------------------------------------------------------------------------------------------

@dataclass
class Seeded:
    exam_id: str
    usernames: list[str]
    copies: list[str]  # one per teacher, same order
    finalise_copies: list[str]  # dispatched to the first teacher
    seconds: float
    page_bytes: int


def scanned_copies(count: int) -> list[list[tuple[bytes, int, int]]]:
    """``count`` copies of ``PAGES`` scanned pages: (JPEG, width, height), as a photocopier makes them."""
    import pymupdf

    from tests.support import scans

    names = [(f"ELEVE{n:03d}", "Camille") for n in range(count)]
    document = pymupdf.open(stream=scans.make_scan(names, PAGES, dpi=150, seed=7), filetype="pdf")
    images = []
    for page in document:
        xref = page.get_images()[0][0]
        image = document.extract_image(xref)
        images.append((image["image"], int(image["width"]), int(image["height"])))
    document.close()
    return [images[start:start + PAGES] for start in range(0, len(images), PAGES)]


def seed(teachers: int, run: str) -> Seeded:
    """The teachers, the exam and the copies, written straight to the emulator."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib import storage
    from chalicelib.domain.principal import Origin
    from chalicelib.domain.roles import Role
    from chalicelib.models.copies import Copy, Page
    from chalicelib.models.exams import Exam
    from chalicelib.observability import logger
    from chalicelib.services import users

    logger.setLevel("WARNING")  # the audit lines of seeding are not figures
    started = time.perf_counter()
    usernames = [f"bench-{run}-t{n:02d}" for n in range(1, teachers + 1)]

    def create(username: str) -> str:
        user = users.create_user(username=username, email=f"{username}@school.example.org", password=PASSWORD,
                                 role=Role.TEACHER, must_change_password=False, actor=None, origin=Origin())
        return user.id

    with ThreadPoolExecutor(max_workers=4) as pool:
        teacher_ids = list(pool.map(create, usernames))
    exam_id = uuid.uuid4().hex
    Exam(
        exam_id,
        name=f"Benchmark {run} — contrôle de mathématiques",
        subject="Mathématiques",
        date="2026-03-14",
        upload_mode="BATCH",
        pages_per_copy=PAGES,
        marking_scheme={"nodes": [
            {"id": qid, "label": f"Question {qid[1:]}", "points": points, "children": []}
            for qid, points in QUESTIONS.items()
        ]},
        max_points=sum(QUESTIONS.values()),
        anonymous_prefix="BNCH",
        teacher_ids=set(teacher_ids),
    ).save()
    owners = teacher_ids + [teacher_ids[0]] * FINALISE_COPIES
    scans = scanned_copies(len(owners))

    def make_copy(number: int) -> str:
        copy_id = uuid.uuid4().hex
        Copy(copy_id, exam_id=exam_id, upload_id=f"bench-{run}", anonymous_id=f"BNCH-{number + 1:03d}",
             status="READY", page_count=PAGES, teacher_id=owners[number], student_id=None).save()
        for index, (jpeg, width, height) in enumerate(scans[number]):
            key = storage.page_key(exam_id, copy_id, index)
            storage.put_bytes(key, jpeg, "image/jpeg")
            Page(copy_id, index, image_key=key, width=width, height=height).save()
        return copy_id

    with ThreadPoolExecutor(max_workers=4) as pool:
        copy_ids = list(pool.map(make_copy, range(len(owners))))
    page_bytes = sum(len(jpeg) for copy in scans for jpeg, _, _ in copy)
    return Seeded(exam_id, usernames, copy_ids[:teachers], copy_ids[teachers:],
                  time.perf_counter() - started, page_bytes)


# --- load ---------------------------------------------------------------------------------------------

@dataclass
class Recorder:
    """Latencies (successful requests) and errors per operation, from many threads."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    sign_in_retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def retried(self) -> None:
        with self.lock:
            self.sign_in_retries += 1

    def ok(self, operation: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(operation, []).append(seconds)

    def error(self, operation: str, what: str) -> None:
        with self.lock:
            self.errors[operation] = self.errors.get(operation, 0) + 1
            kept = self.samples.setdefault(operation, [])
            if len(kept) < 3:
                kept.append(what)


class Teacher:
    """One signed-in browser: its own HTTP session (cookie jar), CSRF token and lock token."""

    def __init__(self, url: str, username: str, deadline: Deadline, recorder: Recorder) -> None:
        import requests

        self.url, self.username, self.deadline, self.recorder = url, username, deadline, recorder
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy from the environment: straight to 127.0.0.1
        self.csrf = ""
        self.token = ""

    def call(self, operation: str | None, method: str, path: str, body: Any = None,
             expect: tuple[int, ...] = (200,)) -> Any:
        """One request, timed; the JSON answer, or None after recording an error."""
        import requests

        headers = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        if self.token:
            headers["X-Lock-Token"] = self.token
        started = time.perf_counter()
        try:
            response = self.http.request(
                method, self.url + path, json=body, headers=headers,
                timeout=self.deadline.timeout(REQUEST_TIMEOUT), allow_redirects=False,
            )
            seconds = time.perf_counter() - started
            answer = response.json() if response.content else {}
        except (requests.RequestException, ValueError) as error:
            if operation:
                self.recorder.error(operation, f"{type(error).__name__}: {error}"[:200])
            return None
        if response.status_code not in expect:
            if operation:
                self.recorder.error(operation, f"HTTP {response.status_code}: {response.text[:160]}")
            return None
        if operation:
            self.recorder.ok(operation, seconds)
        return answer

    def login(self) -> bool:
        """Sign in. A refused or reset connection, or the gateway's 502 when ``chalice local`` refuses
        one (50 browsers connecting at once overflow its listen backlog), is retried as a user would, up to
        ``SIGN_IN_ATTEMPTS`` times; only the last failure counts as an error."""
        import requests

        body = {"username": self.username, "password": PASSWORD}
        for attempt in range(1, SIGN_IN_ATTEMPTS + 1):
            last = attempt == SIGN_IN_ATTEMPTS or self.deadline.left() <= 0
            try:
                started = time.perf_counter()
                response = self.http.post(self.url + "/api/login", json=body,
                                          timeout=self.deadline.timeout(REQUEST_TIMEOUT))
                seconds = time.perf_counter() - started
            except requests.ConnectionError as error:
                if last:
                    self.recorder.error("sign-in", f"{type(error).__name__}: {error}"[:200])
                    return False
                self.recorder.retried()
                time.sleep(0.2 * attempt)
                continue
            except requests.RequestException as error:
                self.recorder.error("sign-in", f"{type(error).__name__}: {error}"[:200])
                return False
            if response.status_code == 502 and not last:
                self.recorder.retried()
                time.sleep(0.2 * attempt)
                continue
            if response.status_code != 200:
                self.recorder.error("sign-in", f"HTTP {response.status_code}: {response.text[:160]}")
                return False
            self.recorder.ok("sign-in", seconds)
            self.csrf = response.json().get("csrf_token", "")
            return bool(self.csrf)
        return False

    def take_lock(self, copy_id: str, operation: str | None = "lock") -> bool:
        answer = self.call(operation, "POST", f"/api/copies/{copy_id}/lock", expect=(200, 201))
        if answer is None:
            return False
        self.token = answer.get("token", "")
        return bool(self.token)


def round_scores(index: int, number: int) -> dict[str, float]:
    """Valid scores (quarter points within each question's maximum) that change every round."""
    return {qid: ((index + number + offset) % (points * 4 + 1)) / 4
            for offset, (qid, points) in enumerate(QUESTIONS.items())}


def teacher_session(index: int, teacher: Teacher, copy_id: str, rounds: int, barrier: threading.Barrier,
                    stop: threading.Event) -> None:
    """Sign in, wait for everyone, then lock and grade in rounds."""
    signed_in = teacher.login()
    try:
        barrier.wait(timeout=teacher.deadline.timeout(300))
    except threading.BrokenBarrierError:
        return
    if not signed_in or stop.is_set() or not teacher.take_lock(copy_id):
        return
    base = f"/api/copies/{copy_id}"
    version = 0
    for number in range(rounds):
        if stop.is_set() or teacher.deadline.left() <= 0:
            return
        teacher.call("heartbeat", "POST", f"{base}/lock/heartbeat")
        scores = round_scores(index, number)
        draft = {
            "version": version,
            "client_id": f"tab-{index}",
            "payload": {"scores": scores, "page": number % PAGES, "zoom": 1.25,
                        "remarks": {"q2": f"Revoir la méthode (passage {number + 1})"}},
        }
        saved = teacher.call("draft save", "PUT", f"{base}/draft", draft)
        if saved is not None:
            version = saved.get("version", version + 1)
        teacher.call("score save", "PUT", f"{base}/scores",
                     {"scores": scores, "remarks": {"q1": "Bien"}, "appreciation": "Travail sérieux."})


@dataclass
class LoadResult:
    recorder: Recorder
    seconds: float
    sign_in_seconds: float
    finished: bool


def run_load(url: str, seeded: Seeded, rounds: int, deadline: Deadline) -> tuple[LoadResult, list[Teacher]]:
    recorder = Recorder()
    teachers = [Teacher(url, username, deadline, recorder) for username in seeded.usernames]
    marks: dict[str, float] = {"begin": time.perf_counter()}
    barrier = threading.Barrier(len(teachers), action=lambda: marks.setdefault("go", time.perf_counter()))
    stop = threading.Event()
    threads = [
        threading.Thread(target=teacher_session, args=(index, teacher, copy_id, rounds, barrier, stop),
                         name=f"teacher-{index + 1}", daemon=True)
        for index, (teacher, copy_id) in enumerate(zip(teachers, seeded.copies, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline.left()))
    finished = not any(thread.is_alive() for thread in threads)
    if not finished:
        stop.set()
        barrier.abort()
    end = time.perf_counter()
    go = marks.get("go", end)
    return LoadResult(recorder, end - go, go - marks["begin"], finished), teachers


# --- finalise -----------------------------------------------------------------------------------------

@dataclass
class Finalised:
    copy_number: int
    finalize_ms: float | None
    seconds: float | None
    status: str


def finalise_one(teacher: Teacher, copy_id: str, number: int, deadline: Deadline) -> Finalised:
    """Lock, annotate each page, score every question, finalise, poll until GRADED."""
    base = f"/api/copies/{copy_id}"
    if not teacher.take_lock(copy_id, operation="finalise: lock"):
        return Finalised(number, None, None, "lock refused")
    for page in range(PAGES):
        teacher.call("finalise: annotation", "POST", f"{base}/annotations",
                     {"page_index": page, "type": "rect", "text": "À justifier", "score_delta": -0.5,
                      "geometry": {"x": 0.2, "y": 0.3, "w": 0.3, "h": 0.1}}, expect=(201,))
    scores = {qid: points - 0.75 for qid, points in QUESTIONS.items()}
    if teacher.call("finalise: scores", "PUT", f"{base}/scores",
                    {"scores": scores, "remarks": {"q3": "Unités oubliées"},
                     "appreciation": "Bon travail, soignez la rédaction."}) is None:
        return Finalised(number, None, None, "scores refused")
    started = time.perf_counter()
    answer = teacher.call("finalise: finalize", "POST", f"{base}/finalize", {}, expect=(200, 202))
    accepted = time.perf_counter()
    if answer is None:
        return Finalised(number, None, None, "finalize refused")
    limit = accepted + deadline.timeout(GRADED_TIMEOUT)
    status = answer.get("status", "?")
    while status != "GRADED" and time.perf_counter() < limit:
        time.sleep(POLL_SECONDS)
        detail = teacher.call(None, "GET", base)
        if detail is not None:
            status = detail["status"]
        if status == "GRADING_FAILED":
            return Finalised(number, (accepted - started) * 1000, None, f"GRADING_FAILED: {detail}"[:200])
    seconds = time.perf_counter() - started if status == "GRADED" else None
    return Finalised(number, (accepted - started) * 1000, seconds, status)


# --- figures ------------------------------------------------------------------------------------------

def percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks of sorted values."""
    if len(ordered) == 1:
        return ordered[0]
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def table_row(name: str, values: list[float], errors: int) -> str:
    if not values:
        return f"{name:<12} {0:>6} {'-':>8} {'-':>8} {'-':>8} {'-':>8} {errors:>7}"
    ordered = sorted(value * 1000 for value in values)
    p50, p95, p99 = (percentile(ordered, f) for f in (0.50, 0.95, 0.99))
    return (f"{name:<12} {len(ordered):>6} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {ordered[-1]:>8.1f} "
            f"{errors:>7}")


def print_load(load: LoadResult, teachers: int, rounds: int) -> None:
    recorder = load.recorder
    signed = recorder.latencies.get("sign-in", [])
    retries = f", {recorder.sign_in_retries} retried after a refused connection or a 502"
    print(f"Sign-in (Argon2id, all {teachers} at once, before the timed phase): {len(signed)} in "
          f"{load.sign_in_seconds:.1f} s{retries if recorder.sign_in_retries else ''}\n")
    print(f"{'operation':<12} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'errors':>7}")
    print(table_row("sign-in", signed, recorder.errors.get("sign-in", 0)))
    every: list[float] = []
    errors = 0
    for operation in OPERATIONS:
        values = recorder.latencies.get(operation, [])
        every += values
        errors += recorder.errors.get(operation, 0)
        print(table_row(operation, values, recorder.errors.get(operation, 0)))
    print(table_row("all 4", every, errors))
    expected = teachers * (1 + 3 * rounds)
    rate = len(every) / load.seconds if load.seconds > 0 else 0.0
    grading = len(recorder.latencies.get("lock", []))
    print(f"\nThroughput: {len(every)} successful requests (of {expected} planned) in {load.seconds:.1f} s = "
          f"{rate:.1f} requests/s, {grading} of {teachers} teachers grading at once"
          + ("" if load.finished else "  [cut short by the deadline]"))
    print("(latencies of successful requests only, measured client-side around each HTTP call)")
    print_error_samples(recorder)


def print_error_samples(recorder: Recorder) -> None:
    if recorder.samples:
        print("\nErrors (first few of each operation):")
        for operation, samples in recorder.samples.items():
            for sample in samples:
                print(f"  {operation}: {sample}")


def print_finalise(results: list[Finalised]) -> None:
    print(f"\nFinalise → GRADED: a {PAGES}-page copy (4 scores, 4 annotations), polled every "
          f"{POLL_SECONDS} s; rendered by the stack's event pump")
    for result in results:
        request = f"{result.finalize_ms:.0f} ms" if result.finalize_ms is not None else "-"
        done = result.seconds is not None
        outcome = f"{result.seconds:6.2f} s" if done else f"not GRADED ({result.status})"
        print(f"  copy {result.copy_number}: {outcome}   (the finalize request itself: {request})")
    graded = [result.seconds for result in results if result.seconds is not None]
    if graded:
        print(f"  median: {statistics.median(graded):.2f} s over {len(graded)} copies")


# --- main ---------------------------------------------------------------------------------------------

@contextmanager
def stack(args: argparse.Namespace, deadline: Deadline) -> Iterator[tuple[str, str]]:
    """(gateway URL, emulator endpoint): the given ones, or a stack started here and always stopped."""
    if args.url:
        yield args.url.rstrip("/"), args.endpoint.rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="korrigo-bench-grading-") as state:
        local = LocalStack(Path(state))
        print(f"Starting the local stack (python -m infra.local.dev) on {local.url} ...", flush=True)
        started = time.perf_counter()
        try:
            local.start(deadline)
            print(f"  up in {time.perf_counter() - started:.1f} s", flush=True)
            yield local.url, local.endpoint
        finally:
            print("Stopping the local stack ...", flush=True)
            local.stop()


def on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)  # unwinds through the finally blocks, which stop the stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", type=int, default=50, help="concurrent simulated teachers")
    parser.add_argument("--rounds", type=int, default=20, help="heartbeat + draft + scores rounds each")
    parser.add_argument("--url", help="a running stack's gateway (http://127.0.0.1:PORT), not a new one")
    parser.add_argument("--endpoint", help="with --url: that stack's AWS endpoint (http://127.0.0.1:PORT)")
    parser.add_argument("--deadline", type=float, default=900, help="overall time limit in seconds")
    args = parser.parse_args(argv)
    if args.teachers < 1 or args.rounds < 1:
        parser.error("--teachers and --rounds must be at least 1")
    if bool(args.url) != bool(args.endpoint):
        parser.error("--url and --endpoint go together")
    for url in (args.url, args.endpoint):
        if url and not loopback(url):
            parser.error(f"{url}: only http://127.0.0.1:PORT is allowed")
    signal.signal(signal.SIGTERM, on_sigterm)
    deadline = Deadline(args.deadline)
    run = uuid.uuid4().hex[:6]
    try:
        with stack(args, deadline) as (url, endpoint):
            use_endpoint(endpoint)
            return measure(args, url, endpoint, run, deadline)
    except OutOfTime as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1


def measure(args: argparse.Namespace, url: str, endpoint: str, run: str, deadline: Deadline) -> int:
    print(f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; gateway {url}, "
          f"emulator {endpoint}", flush=True)
    deadline.check("start-up")
    seeded = seed(args.teachers, run)
    copies = args.teachers + FINALISE_COPIES
    print(f"Seeded {args.teachers} teachers, 1 exam ({len(QUESTIONS)} questions), {copies} READY copies x "
          f"{PAGES} pages (150 DPI grey JPEG, {seeded.page_bytes / copies / 1e6:.2f} MB a copy) "
          f"in {seeded.seconds:.1f} s\n", flush=True)
    deadline.check("seeding")
    print(f"Load: {args.teachers} teachers x (lock + {args.rounds} x [heartbeat, draft save, score save]), "
          "closed loop, no think time, all through the gateway\n", flush=True)
    load, teachers = run_load(url, seeded, args.rounds, deadline.before(FINALISE_RESERVE))
    print_load(load, args.teachers, args.rounds)
    first = teachers[0]
    first.deadline = deadline  # the load phase's deadline is over; the rest of the run's time is left
    if not first.csrf and not first.login():
        print_error_samples(first.recorder)
        return 1
    started = time.perf_counter()
    results = [finalise_one(first, copy_id, number, deadline)
               for number, copy_id in enumerate(seeded.finalise_copies, start=1)]
    print_finalise(results)
    extra = {key: value for key, value in first.recorder.samples.items() if key.startswith("finalise")}
    if extra:
        print_error_samples(Recorder(samples=extra))
    print(f"\n(finalise phase {time.perf_counter() - started:.1f} s; "
          f"whole run {args.deadline - deadline.left():.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
