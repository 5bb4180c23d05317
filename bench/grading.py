"""Grading benchmark: what teachers feel (an open loop at a realistic pace), the saturated throughput
(a closed loop), the AWS round trips of every grading request, and the seconds from finalise to GRADED.

    python -m bench.grading [--teachers 50] [--duration 60] [--seed 1] [--rounds 20]
    python -m bench.grading --url http://127.0.0.1:8000 --endpoint http://127.0.0.1:4566 [--api-log PATH]

By default it starts its own stack with ``infra.local.launcher`` (``python -m infra.local.dev``: moto's
server, ``chalice local``, the event pump and the gateway on free ports, a temporary state directory)
and stops it at the end, with ``make dev``'s state snapshots off (``--snapshots`` keeps them: a scan of
every table every few seconds, for the local platform's durability across restarts, that AWS does not
have and that costs the emulator's CPU). With ``--url`` it uses an already running one; ``--endpoint``
is then that stack's AWS endpoint, needed to seed data (the benchmark's teachers, exam and copies stay
there), and
``--api-log`` its API log (default ``.korrigo/api.log`` when it exists) for the round trips.

Seeding goes straight to the emulator through ``chalicelib``: the teachers, one exam with a 4-question
scheme, and per teacher one READY copy of 4 real scanned pages (150-DPI grey JPEGs) dispatched to them,
plus 3 copies for the finalise measurement. Every teacher then signs in and takes its copy's lock.

1. **Open loop (the headline).** Each teacher sends a draft save every 2 s, a score save every 10 s and a
   heartbeat every 30 s, at random phases (``--seed``), for ``--duration`` seconds, whatever the answers'
   speed: a scheduler fires each request at its planned time on a large thread pool, and its latency is
   counted from that planned time (no coordinated omission: a late answer also makes the next request of
   that teacher late, and that delay counts). A teacher's draft saves are sent one after the other, each
   on top of the version the previous one returned, as the desk's autosave does.
2. **Closed loop (throughput).** Every teacher, all at once, sends ``--rounds`` x [heartbeat, draft save,
   score save] back to back, no think time: the saturated stack's requests/s.
3. Each teacher reads its copy (detail, then the status route), and releases its lock.
4. **Finalise → GRADED**: one teacher scores and annotates a copy, finalises it and polls its status every
   0.1 s until the stack's own event pump has rendered it GRADED (3 copies, one after the other).

**Round trips.** The API logs one JSON line per request (message ``request``) with the route template,
the method, the status and ``round_trips``: the AWS requests that HTTP request sent. They are read back
from the API's log for each phase and printed per operation, beside issue 12's targets.

Prints figures only; asserts nothing. Everything talks to 127.0.0.1 only and is bounded by ``--deadline``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from infra.local.launcher import LaunchError, LocalPlatform, aws_environment

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Quartz-Meadow-Lantern-58"  # noqa: S105 - benchmark accounts on a throwaway local stack
PAGES = 4
FINALISE_COPIES = 3
QUESTIONS = {"q1": 4, "q2": 5, "q3": 5, "q4": 6}  # id → points, 20 in all
GRADING = ("heartbeat", "draft save", "score save")
#: The open loop's pace: seconds between two sends of each operation by one teacher.
PERIODS = {"draft save": 2.0, "score save": 10.0, "heartbeat": 30.0}
DRAFT_P99_GOAL_MS = 250.0
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 180.0
GRADED_TIMEOUT = 120.0
SIGN_IN_ATTEMPTS = 5
FINALISE_RESERVE = 60.0  # seconds of the overall deadline kept for the finalise measurement
POLL_SECONDS = 0.1
#: The API's route templates (as its request log names them) → the benchmark's operation names.
ROUTES = {
    ("POST", "/api/login"): "sign-in",
    ("POST", "/api/copies/{copy_id}/lock"): "lock",
    ("POST", "/api/copies/{copy_id}/lock/heartbeat"): "heartbeat",
    ("PUT", "/api/copies/{copy_id}/draft"): "draft save",
    ("PUT", "/api/copies/{copy_id}/scores"): "score save",
    ("POST", "/api/copies/{copy_id}/annotations"): "annotation",
    ("GET", "/api/copies/{copy_id}"): "copy detail",
    ("GET", "/api/copies/{copy_id}/status"): "status",
    ("DELETE", "/api/copies/{copy_id}/lock"): "release",
    ("POST", "/api/copies/{copy_id}/finalize"): "finalise",
}
#: Request lines that carry no route (so no operation): counted apart, never guessed.
UNLABELED = "(no route)"
#: Issue 12's targets: AWS round trips per HTTP request.
TARGETS = {"draft save": 2, "score save": 2, "heartbeat": 2, "lock": 3, "release": 3, "finalise": 4,
           "copy detail": 4, "status": 2}


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

def loopback(url: str) -> bool:
    """True for an http URL on 127.0.0.1."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname == "127.0.0.1"


@dataclass
class Target:
    """The stack measured: its gateway, its AWS endpoint and its API's log (None: round trips unknown)."""

    url: str
    endpoint: str
    api_log: Path | None


def use_endpoint(endpoint: str) -> None:
    """Point this process at the stack's emulator; must run before anything imports ``chalicelib``."""
    if any(name == "chalicelib" or name.startswith("chalicelib.") for name in sys.modules):
        raise RuntimeError("chalicelib was imported before the endpoint was set")
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(AWS_ENDPOINT_URL=endpoint, **aws_environment())


# --- round trips, from the API's request log ----------------------------------------------------------

class RequestLog:
    """The API's JSON request lines, read by byte offset: ``mark()`` before a phase, ``since()`` after."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def mark(self) -> int:
        try:
            return self.path.stat().st_size if self.path else 0
        except OSError:
            return 0

    def since(self, offset: int, end: int | None = None) -> dict[str, list[int]]:
        """Round trips of each request logged from ``offset`` (to ``end``), by operation name
        (``METHOD template`` for routes the benchmark does not name)."""
        found: dict[str, list[int]] = {}
        if self.path is None:
            return found
        try:
            with self.path.open("rb") as log:
                log.seek(offset)
                text = log.read(-1 if end is None else max(0, end - offset)).decode(errors="replace")
        except OSError:
            return found
        for line in text.splitlines():
            if not line.startswith("{") or '"round_trips"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("message") != "request" or not isinstance(entry.get("round_trips"), int):
                continue
            method, path = entry.get("method"), entry.get("path")
            name = UNLABELED if not (method and path) else ROUTES.get((method, path), f"{method} {path}")
            found.setdefault(name, []).append(entry["round_trips"])
        return found


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


# --- clients ------------------------------------------------------------------------------------------

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
    """One signed-in browser: its own HTTP session (cookie jar), CSRF and lock tokens, draft version."""

    def __init__(self, url: str, index: int, username: str, copy_id: str, deadline: Deadline,
                 recorder: Recorder) -> None:
        import requests
        from requests.adapters import HTTPAdapter

        self.url, self.index, self.username, self.copy_id = url, index, username, copy_id
        self.deadline, self.recorder = deadline, recorder
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy from the environment: straight to 127.0.0.1
        self.http.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=8))
        self.csrf = ""
        self.token = ""
        self.version = 0  # the draft version the last save returned
        self.saves = 0  # score saves sent (their values change every time)
        self.scores_version = 0  # the score sheet's version the last score save returned
        self.drafts = threading.Lock()  # one draft save at a time, each on top of the previous one
        self.scoring = threading.Lock()  # one score save at a time, each on top of the previous one

    def call(self, operation: str | None, method: str, path: str, body: Any = None,
             expect: tuple[int, ...] = (200,), scheduled: float | None = None) -> Any:
        """One request, timed from ``scheduled`` (a ``perf_counter`` time) or from now; the JSON answer,
        or None after recording an error."""
        import requests

        headers = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        if self.token:
            headers["X-Lock-Token"] = self.token
        started = time.perf_counter() if scheduled is None else scheduled
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
        """Sign in. A refused or reset connection, or a 502 from the gateway, is retried as a user would,
        up to ``SIGN_IN_ATTEMPTS`` times; only the last failure counts as an error."""
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

    def take_lock(self, copy_id: str | None = None, operation: str | None = "lock") -> bool:
        """From the dashboard, open the copy, then lock it, as a teacher does in the SPA."""
        path = f"/api/copies/{copy_id or self.copy_id}"
        if self.call("dashboard" if operation else None, "GET", "/api/teacher/copies") is None:
            return False
        if self.call("open copy" if operation else None, "GET", path) is None:
            return False
        answer = self.call(operation, "POST", f"{path}/lock", expect=(200, 201))
        if answer is None:
            return False
        self.token = answer.get("token", "")
        return bool(self.token)

    @property
    def ready(self) -> bool:
        """Signed in and holding its copy's lock."""
        return bool(self.csrf and self.token)

    # --- the three grading writes (``scheduled``: the open loop's planned send time) ---

    def heartbeat(self, scheduled: float | None = None) -> None:
        self.call("heartbeat", "POST", f"/api/copies/{self.copy_id}/lock/heartbeat", scheduled=scheduled)

    def save_draft(self, scheduled: float | None = None) -> None:
        with self.drafts:
            number = self.version
            draft = {
                "version": self.version,
                "client_id": f"tab-{self.index}",
                "payload": {"scores": round_scores(self.index, number), "page": number % PAGES, "zoom": 1.25,
                            "remarks": {"q2": f"Revoir la méthode (passage {number + 1})"}},
            }
            saved = self.call("draft save", "PUT", f"/api/copies/{self.copy_id}/draft", draft,
                              scheduled=scheduled)
            if saved is not None:
                self.version = saved.get("version", self.version + 1)

    def save_scores(self, scheduled: float | None = None) -> None:
        with self.scoring:
            self.saves += 1
            saved = self.call("score save", "PUT", f"/api/copies/{self.copy_id}/scores",
                              {"version": self.scores_version, "scores": round_scores(self.index, self.saves),
                               "remarks": {"q1": "Bien"}, "appreciation": "Travail sérieux."},
                              scheduled=scheduled)
            if saved is not None:
                self.scores_version = saved.get("version", self.scores_version + 1)

    def send(self, operation: str, scheduled: float | None = None) -> None:
        {"heartbeat": self.heartbeat, "draft save": self.save_draft,
         "score save": self.save_scores}[operation](scheduled)


def round_scores(index: int, number: int) -> dict[str, float]:
    """Valid scores (quarter points within each question's maximum) that change every round."""
    return {qid: ((index + number + offset) % (points * 4 + 1)) / 4
            for offset, (qid, points) in enumerate(QUESTIONS.items())}


def in_parallel(teachers: list[Teacher], work, workers: int = 16) -> list[Any]:
    """``work(teacher)`` for every teacher on a small pool (a school's browsers, not a burst)."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(teachers)))) as pool:
        return list(pool.map(work, teachers))


@dataclass
class Prepared:
    teachers: list[Teacher]
    seconds: float


def prepare(url: str, seeded: Seeded, deadline: Deadline) -> Prepared:
    """Every teacher signs in (Argon2id) and takes its copy's lock, before any timed phase."""
    recorder = Recorder()
    pairs = enumerate(zip(seeded.usernames, seeded.copies, strict=True))
    teachers = [Teacher(url, index, username, copy_id, deadline, recorder)
                for index, (username, copy_id) in pairs]
    started = time.perf_counter()
    in_parallel(teachers, lambda teacher: teacher.login() and teacher.take_lock())
    return Prepared(teachers, time.perf_counter() - started)


# --- 1. open loop -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Send:
    at: float  # seconds after the open loop's start
    teacher: int
    operation: str


def schedule(teachers: int, duration: float, seed: int) -> list[Send]:
    """Every teacher's sends at ``PERIODS``, each operation at a random phase; in time order."""
    rng = random.Random(seed)
    sends = []
    for teacher in range(teachers):
        for operation, period in PERIODS.items():
            at = rng.uniform(0, period)
            while at < duration:
                sends.append(Send(at, teacher, operation))
                at += period
    return sorted(sends, key=lambda send: (send.at, send.teacher))


@dataclass
class OpenLoop:
    recorder: Recorder
    planned: int
    sent: int
    seconds: float
    teachers: int
    lag_ms: float  # the scheduler's worst delay in handing a send to a thread
    finished: bool


def run_open_loop(teachers: list[Teacher], sends: list[Send], duration: float,
                  deadline: Deadline) -> OpenLoop:
    """Fire each send at its planned time on a thread pool large enough never to wait for answers."""
    recorder = Recorder()
    ready = [teacher for teacher in teachers if teacher.ready]
    by_index = {teacher.index: teacher for teacher in ready}
    for teacher in ready:
        teacher.recorder = recorder
    planned = [send for send in sends if send.teacher in by_index]
    lag, sent, finished = 0.0, 0, True
    pool = ThreadPoolExecutor(max_workers=max(8, min(400, 4 * len(ready))), thread_name_prefix="open-loop")
    begin = time.perf_counter() + 0.5
    try:
        for send in planned:
            due = begin + send.at
            while (wait := due - time.perf_counter()) > 0:
                time.sleep(min(wait, 0.05))
            if deadline.left() <= 0:
                finished = False
                break
            lag = max(lag, time.perf_counter() - due)
            pool.submit(by_index[send.teacher].send, send.operation, due)
            sent += 1
    finally:
        pool.shutdown(wait=True)  # every request is bounded by the deadline's timeout
    return OpenLoop(recorder, len(planned), sent, time.perf_counter() - begin, len(ready), lag * 1000,
                    finished and sent == len(planned))


# --- 2. closed loop -----------------------------------------------------------------------------------

@dataclass
class ClosedLoop:
    recorder: Recorder
    seconds: float
    teachers: int
    finished: bool


def run_closed_loop(teachers: list[Teacher], rounds: int, deadline: Deadline) -> ClosedLoop:
    """All teachers at once (a barrier), each sending its rounds back to back."""
    recorder = Recorder()
    ready = [teacher for teacher in teachers if teacher.ready]
    marks: dict[str, float] = {}
    barrier = threading.Barrier(max(1, len(ready)),
                                action=lambda: marks.setdefault("go", time.perf_counter()))
    stop = threading.Event()

    def session(teacher: Teacher) -> None:
        try:
            barrier.wait(timeout=teacher.deadline.timeout(300))
        except threading.BrokenBarrierError:
            return
        for _ in range(rounds):
            if stop.is_set() or deadline.left() <= 0:
                return
            for operation in GRADING:
                teacher.send(operation)

    for teacher in ready:
        teacher.recorder, teacher.deadline = recorder, deadline
    threads = [threading.Thread(target=session, args=(teacher,), name=f"teacher-{teacher.index + 1}",
                                daemon=True) for teacher in ready]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline.left()))
    finished = not any(thread.is_alive() for thread in threads)
    if not finished:
        stop.set()
        barrier.abort()
    end = time.perf_counter()
    return ClosedLoop(recorder, end - marks.get("go", end), len(ready), finished)


# --- 3. read and release ------------------------------------------------------------------------------

@dataclass
class Reads:
    recorder: Recorder
    status_route: str  # "ok", or why it is missing


def read_and_release(teachers: list[Teacher], deadline: Deadline) -> Reads:
    """Each teacher reads its copy (detail, status) and releases its lock, as when leaving the desk."""
    recorder = Recorder()
    answers: list[str] = []

    def leave(teacher: Teacher) -> None:
        teacher.recorder, teacher.deadline = recorder, deadline
        base = f"/api/copies/{teacher.copy_id}"
        teacher.call("copy detail", "GET", base)
        answers.append(status_of(teacher, teacher.copy_id, "status")[1])
        if teacher.call("release", "DELETE", f"{base}/lock", expect=(200, 204)) is not None:
            teacher.token = ""

    in_parallel([teacher for teacher in teachers if teacher.ready], leave)
    missing = sorted({answer for answer in answers if answer != "ok"})
    return Reads(recorder, "ok" if not missing else ", ".join(missing))


def status_of(teacher: Teacher, copy_id: str, operation: str | None) -> tuple[str | None, str]:
    """(the copy's status, "ok") from the status route; (None, why) when the route does not answer."""
    import requests

    started = time.perf_counter()
    try:
        response = teacher.http.get(f"{teacher.url}/api/copies/{copy_id}/status",
                                    timeout=teacher.deadline.timeout(REQUEST_TIMEOUT))
    except requests.RequestException as error:
        return None, f"{type(error).__name__}"
    seconds = time.perf_counter() - started
    if response.status_code in (403, 404, 405):  # chalice local answers 403 for an unknown route
        return None, f"missing (HTTP {response.status_code})"
    try:
        status = response.json().get("status") if response.status_code == 200 else None
    except ValueError:
        status = None
    if status is None:
        if operation:
            teacher.recorder.error(operation, f"HTTP {response.status_code}: {response.text[:160]}")
        return None, f"HTTP {response.status_code}"
    if operation:
        teacher.recorder.ok(operation, seconds)
    return status, "ok"


# --- 4. finalise --------------------------------------------------------------------------------------

@dataclass
class Finalised:
    copy_number: int
    finalize_ms: float | None
    seconds: float | None
    status: str


def finalise_one(teacher: Teacher, copy_id: str, number: int, deadline: Deadline,
                 use_status_route: bool) -> Finalised:
    """Lock, annotate each page, score every question, finalise, poll until GRADED."""
    base = f"/api/copies/{copy_id}"
    if not teacher.take_lock(copy_id, operation="finalise: lock"):
        return Finalised(number, None, None, "lock refused")
    for page in range(PAGES):
        teacher.call("finalise: annotation", "POST", f"{base}/annotations",
                     {"page_index": page, "type": "rect", "text": "À justifier",
                      "geometry": {"x": 0.2, "y": 0.3, "w": 0.3, "h": 0.1}}, expect=(201,))
    scores = {qid: points - 0.75 for qid, points in QUESTIONS.items()}
    if teacher.call("finalise: scores", "PUT", f"{base}/scores",
                    {"version": 0, "scores": scores, "remarks": {"q3": "Unités oubliées"},
                     "appreciation": "Bon travail, soignez la rédaction."}) is None:
        return Finalised(number, None, None, "scores refused")
    started = time.perf_counter()
    answer = teacher.call("finalise: finalize", "POST", f"{base}/finalize", {}, expect=(200, 202))
    accepted = time.perf_counter()
    if answer is None:
        return Finalised(number, None, None, "finalize refused")
    teacher.token = ""
    limit = accepted + deadline.timeout(GRADED_TIMEOUT)
    status = answer.get("status", "?")
    while status != "GRADED" and time.perf_counter() < limit:
        time.sleep(POLL_SECONDS)
        if use_status_route:
            status = status_of(teacher, copy_id, None)[0] or status
        else:
            detail = teacher.call(None, "GET", base)
            status = detail["status"] if detail is not None else status
        if status == "GRADING_FAILED":
            return Finalised(number, (accepted - started) * 1000, None, "GRADING_FAILED")
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


def p99_ms(values: list[float]) -> float | None:
    return percentile(sorted(value * 1000 for value in values), 0.99) if values else None


def trips(counts: list[int] | None) -> str:
    """``mean / max`` round trips, or ``-``."""
    if not counts:
        return f"{'-':>11}"
    return f"{statistics.fmean(counts):>5.1f} / {max(counts):<3}"


HEADER = (f"{'operation':<13} {'count':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}  {'AWS trips':>11} {'target':>6}")


def row(name: str, values: list[float], errors: int, counts: list[int] | None = None) -> str:
    """One table line: latencies of the successful requests, errors, round trips mean / max, target."""
    target = f"<= {TARGETS[name]}" if name in TARGETS else ""
    if values:
        ordered = sorted(value * 1000 for value in values)
        figures = "".join(f" {percentile(ordered, f):>8.1f}" for f in (0.50, 0.95, 0.99, 1.0))
    else:
        figures = "".join(f" {'-':>8}" for _ in range(4))
    return f"{name:<13} {len(values):>6} {errors:>6}{figures}  {trips(counts)} {target:>6}"


def print_open_loop(result: OpenLoop, duration: float, seed: int, counts: dict[str, list[int]],
                    known: bool) -> None:
    recorder = result.recorder
    rate = result.planned / duration if duration > 0 else 0.0
    pace = ", ".join(f"{name} every {period:g} s" for name, period in PERIODS.items())
    print(f"1. Open loop (headline): {result.teachers} teachers, each a {pace}; random phases (seed {seed}); "
          f"{duration:g} s; offered {rate:.1f} requests/s through the gateway")
    print("   latency counted from each request's planned send time (no coordinated omission)\n")
    print(HEADER)
    for operation in ("draft save", "score save", "heartbeat"):
        print(row(operation, recorder.latencies.get(operation, []), recorder.errors.get(operation, 0),
                  counts.get(operation)))
    done = sum(len(values) for values in recorder.latencies.values())
    print(f"\n{done} answered of {result.sent} sent ({result.planned} planned) in {result.seconds:.1f} s; "
          f"scheduler lag at most {result.lag_ms:.0f} ms"
          + ("" if result.finished else "  [cut short by the deadline]"))
    draft = p99_ms(recorder.latencies.get("draft save", []))
    measured = f"{draft:.0f} ms" if draft is not None else "-"
    verdict = "" if draft is None else ("  (met)" if draft <= DRAFT_P99_GOAL_MS else "  (NOT met)")
    print(f"Goal: open-loop draft-save p99 <= {DRAFT_P99_GOAL_MS:.0f} ms on this machine; measured {measured}"
          f"{verdict}")
    if not known:
        print("(AWS trips: unknown, no API log to read; pass --api-log)")
    print_error_samples(recorder)


def print_closed_loop(result: ClosedLoop, prepared: Prepared, teachers: int, rounds: int,
                      counts: dict[str, list[int]], sign_in: Recorder) -> None:
    recorder = result.recorder
    print(f"\n2. Closed loop (throughput): {result.teachers} teachers x {rounds} x [heartbeat, draft save, "
          "score save], all at once, no think time, through the gateway\n")
    print(HEADER)
    every: list[float] = []
    errors = 0
    for operation in GRADING:
        values = recorder.latencies.get(operation, [])
        every += values
        errors += recorder.errors.get(operation, 0)
        print(row(operation, values, recorder.errors.get(operation, 0), counts.get(operation)))
    print(row("all 3", every, errors, [n for operation in GRADING for n in counts.get(operation, [])]))
    expected = result.teachers * 3 * rounds
    rate = len(every) / result.seconds if result.seconds > 0 else 0.0
    print(f"\nThroughput: {len(every)} successful requests (of {expected} planned) in "
          f"{result.seconds:.1f} s = {rate:.1f} requests/s"
          + ("" if result.finished else "  [cut short by the deadline]"))
    signed = sign_in.latencies.get("sign-in", [])
    retries = f", {sign_in.sign_in_retries} retried" if sign_in.sign_in_retries else ""
    print(f"(before both loops: {len(signed)} of {teachers} teachers signed in (Argon2id) and "
          f"{len(sign_in.latencies.get('lock', []))} took their lock in {prepared.seconds:.1f} s{retries})")
    print_error_samples(recorder)


def print_error_samples(recorder: Recorder) -> None:
    if recorder.samples:
        print("\nErrors (first few of each operation):")
        for operation, samples in recorder.samples.items():
            for sample in samples:
                print(f"  {operation}: {sample}")


def print_reads(reads: Reads, counts: dict[str, list[int]]) -> None:
    recorder = reads.recorder
    print("\n3. Leaving the desk: each teacher reads its copy, its status, and releases its lock\n")
    print(HEADER)
    for operation in ("copy detail", "status", "release"):
        print(row(operation, recorder.latencies.get(operation, []), recorder.errors.get(operation, 0),
                  counts.get(operation)))
    if reads.status_route != "ok":
        print(f"GET /api/copies/{{copy_id}}/status: {reads.status_route} — the route is not there yet")
    print_error_samples(recorder)


def print_finalise(results: list[Finalised], polled: str) -> None:
    print(f"\n4. Finalise → GRADED: a {PAGES}-page copy (4 scores, 4 annotations), {polled} polled every "
          f"{POLL_SECONDS} s; rendered by the stack's event pump")
    for result in results:
        request = f"{result.finalize_ms:.0f} ms" if result.finalize_ms is not None else "-"
        done = result.seconds is not None
        outcome = f"{result.seconds:6.2f} s" if done else f"not GRADED ({result.status})"
        print(f"  copy {result.copy_number}: {outcome}   (the finalize request itself: {request})")
    graded = [result.seconds for result in results if result.seconds is not None]
    if graded:
        print(f"  median: {statistics.median(graded):.2f} s over {len(graded)} copies")


def print_round_trips(counts: dict[str, list[int]], known: bool, status_route: str) -> None:
    print("\nAWS round trips per HTTP request, whole run (from the API's request log), against issue 12")
    if not known:
        print("  unknown: no API log to read (pass --api-log with --url)")
        return
    print(f"  {'operation':<13} {'requests':>8} {'mean':>6} {'max':>5} {'target':>7}")
    named = [*TARGETS, *(name for name in ("sign-in", "annotation") if name in counts)]
    for operation in named:
        values = counts.get(operation, [])
        target = TARGETS.get(operation)
        if not values:
            why = status_route if operation == "status" and status_route != "ok" else "not measured"
            limit = f"<= {target}" if target else ""
            print(f"  {operation:<13} {0:>8} {'-':>6} {'-':>5} {limit:>7}  {why}")
            continue
        mean = statistics.fmean(values)
        verdict = "" if target is None else ("  ok" if max(values) <= target else "  over")
        print(f"  {operation:<13} {len(values):>8} {mean:>6.2f} {max(values):>5} "
              f"{'<= ' + str(target) if target else '':>7}{verdict}")
    unlabeled = len(counts.get(UNLABELED, []))
    if unlabeled:
        print(f"  ({unlabeled} request lines named no route, so no operation, left out: the API logged "
              "them without their route keys)")


# --- main ---------------------------------------------------------------------------------------------

@contextmanager
def stack(args: argparse.Namespace, deadline: Deadline) -> Iterator[Target]:
    """The given stack, or one started here with the shared launcher and always stopped."""
    if args.url:
        default = ROOT / ".korrigo" / "api.log"
        api_log = Path(args.api_log) if args.api_log else (default if default.is_file() else None)
        yield Target(args.url.rstrip("/"), args.endpoint.rstrip("/"), api_log)
        return
    with tempfile.TemporaryDirectory(prefix="korrigo-bench-grading-") as state:
        # make dev's state snapshots (a full scan of every table every few seconds, for its durability
        # across restarts) exist only locally: off unless asked for, so the figures are the request path's
        snapshots = {} if args.snapshots else {"KORRIGO_SNAPSHOT_SECONDS": "86400"}
        platform = LocalPlatform(Path(state), env=snapshots)
        print(f"Starting the local stack (python -m infra.local.dev) on {platform.url}, "
              f"state snapshots {'on (as make dev)' if args.snapshots else 'off'} ...", flush=True)
        started = time.perf_counter()
        try:
            platform.start(timeout=deadline.timeout(START_TIMEOUT))
        except LaunchError as error:
            raise SystemExit(f"bench: {error}") from None
        try:
            print(f"  up in {time.perf_counter() - started:.1f} s", flush=True)
            yield Target(platform.url, platform.endpoint, platform.log("api"))
        finally:
            print("Stopping the local stack ...", flush=True)
            platform.stop()


def on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(143)  # unwinds through the finally blocks, which stop the stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", type=int, default=50, help="simulated teachers")
    parser.add_argument("--duration", type=float, default=60, help="open loop: seconds of sends")
    parser.add_argument("--seed", type=int, default=1, help="open loop: the random phases' seed")
    parser.add_argument("--rounds", type=int, default=20, help="closed loop: rounds per teacher")
    parser.add_argument("--url", help="a running stack's gateway (http://127.0.0.1:PORT), not a new one")
    parser.add_argument("--endpoint", help="with --url: that stack's AWS endpoint (http://127.0.0.1:PORT)")
    parser.add_argument("--api-log", help="with --url: that stack's API log (default .korrigo/api.log)")
    parser.add_argument("--deadline", type=float, default=900, help="overall time limit in seconds")
    parser.add_argument("--snapshots", action="store_true",
                        help="keep make dev's state snapshots (off by default: AWS has none)")
    args = parser.parse_args(argv)
    if args.teachers < 1 or args.rounds < 1 or args.duration <= 0:
        parser.error("--teachers and --rounds must be at least 1, --duration positive")
    if bool(args.url) != bool(args.endpoint):
        parser.error("--url and --endpoint go together")
    if args.api_log and not args.url:
        parser.error("--api-log goes with --url (a stack started here has its own)")
    for url in (args.url, args.endpoint):
        if url and not loopback(url):
            parser.error(f"{url}: only http://127.0.0.1:PORT is allowed")
    signal.signal(signal.SIGTERM, on_sigterm)
    deadline = Deadline(args.deadline)
    run = uuid.uuid4().hex[:6]
    try:
        with stack(args, deadline) as target:
            use_endpoint(target.endpoint)
            return measure(args, target, run, deadline)
    except OutOfTime as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1


def measure(args: argparse.Namespace, target: Target, run: str, deadline: Deadline) -> int:
    print(f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; gateway {target.url}, "
          f"emulator {target.endpoint}", flush=True)
    deadline.check("start-up")
    seeded = seed(args.teachers, run)
    copies = args.teachers + FINALISE_COPIES
    print(f"Seeded {args.teachers} teachers, 1 exam ({len(QUESTIONS)} questions), {copies} READY copies x "
          f"{PAGES} pages (150 DPI grey JPEG, {seeded.page_bytes / copies / 1e6:.2f} MB a copy) "
          f"in {seeded.seconds:.1f} s", flush=True)
    log = RequestLog(target.api_log)
    known = target.api_log is not None
    deadline.check("seeding")
    marks = [log.mark()]
    prepared = prepare(target.url, seeded, deadline)
    sign_in = prepared.teachers[0].recorder
    print(f"Signed in and locked: {sum(teacher.ready for teacher in prepared.teachers)} of {args.teachers} "
          f"teachers in {prepared.seconds:.1f} s\n", flush=True)
    deadline.check("sign-in")

    marks.append(log.mark())
    sends = schedule(args.teachers, args.duration, args.seed)
    opened = run_open_loop(prepared.teachers, sends, args.duration, deadline.before(FINALISE_RESERVE))
    marks.append(log.mark())
    print_open_loop(opened, args.duration, args.seed, log.since(marks[1]), known)
    print(flush=True)

    closed = run_closed_loop(prepared.teachers, args.rounds, deadline.before(FINALISE_RESERVE))
    marks.append(log.mark())
    print_closed_loop(closed, prepared, args.teachers, args.rounds, log.since(marks[2], marks[3]),
                      sign_in)

    reads = read_and_release(prepared.teachers, deadline)
    marks.append(log.mark())
    print_reads(reads, log.since(marks[3], marks[4]))

    first = prepared.teachers[0]
    first.recorder, first.deadline = Recorder(), deadline
    if not first.csrf and not first.login():
        print_error_samples(first.recorder)
        return 1
    started = time.perf_counter()
    use_status = reads.status_route == "ok"
    results = [finalise_one(first, copy_id, number, deadline, use_status)
               for number, copy_id in enumerate(seeded.finalise_copies, start=1)]
    print_finalise(results, "its status" if use_status else "the whole copy (no status route)")
    print_error_samples(first.recorder)
    print_round_trips(log.since(marks[0]), known, reads.status_route)
    print(f"\n(finalise phase {time.perf_counter() - started:.1f} s; "
          f"whole run {args.deadline - deadline.left():.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
