"""Shared rubrics benchmark (issue 15): the AWS round trips of applying a rubric item to a copy, beside
the copy-mode score save, and the seconds to re-score N graded copies after one rubric edit.

    python -m bench.rubrics [--copies 300] [--rounds 20] [--deadline 900]

It starts moto's server (``infra.local.moto_server``, as the integration tests do) on a free port,
provisions it, runs the API in-process (Chalice's test client: the requests of the real app, counted by
the same botocore hook every request's log line reports, ``chalicelib.aws.round_trips``) and, for the
second part, the event pump's queue pumps in-process (``infra.local.pump.QueuePump``, one thread per
queue, as ``make dev`` runs them).

1. **Round trips.** A teacher holding the question lock of a copy applies rubric items to it
   (``PUT /api/copies/{id}/questions/{q}/score``, one item more or less each time, ``--rounds`` saves);
   a teacher holding a copy-mode lock saves the scores of a copy (``PUT /api/copies/{id}/scores``) as
   many times. Both after the desk opened the copy (the process then knows its exam).
2. **Re-scoring.** ``--copies`` GRADED copies of a question-mode exam (one page each, their first final
   PDF not rendered: the benchmark measures the re-scoring) apply the item edited; one ``PATCH`` of its
   points, then the seconds until the rescore function has re-scored every copy (its RESCORE move: new
   sheet, render queued), then, its pump started only then, until the render function has made every
   copy GRADED again with its new total. Apart, because in one local process the two functions would
   share one interpreter (and its lock) where Lambda runs them side by side, the renders in parallel.

Prints figures only; asserts nothing. Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
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
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.local.launcher import aws_environment

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Quartz-Meadow-Lantern-58"  # noqa: S105 - benchmark accounts on a throwaway local stack
SCHEME = {"nodes": [{"id": "q1", "label": "Question 1", "points": 4, "children": []},
                    {"id": "q2", "label": "Question 2", "points": 6, "children": []}]}
POLL_SECONDS = 1.0  # each poll reads every copy: the emulator's load


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(port: int, log: Path) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MOTO_")}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.moto_server", "-H", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(f"moto's server did not start (see {log})")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Api:
    """The in-process API: one signed-in caller per instance."""

    def __init__(self, client: Any, username: str) -> None:
        self.client = client
        response = client.http.post("/api/login", headers={"Content-Type": "application/json"},
                                    body=json.dumps({"username": username, "password": PASSWORD}))
        if response.status_code != 200:
            raise RuntimeError(f"sign-in of {username}: {response.status_code} {response.body!r}")
        self.headers = {"Content-Type": "application/json",
                        "Cookie": response.headers["Set-Cookie"].split(";")[0],
                        "X-CSRF-Token": json.loads(response.body)["csrf_token"]}

    def send(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any, int, float]:
        """(status, JSON answer, AWS round trips, seconds)."""
        from chalicelib import aws

        headers = self.headers | ({"X-Lock-Token": token} if token else {})
        aws.reset_round_trips()
        started = time.perf_counter()
        response = self.client.http.request(method, path, headers=headers,
                                            body=json.dumps(body) if body is not None else None)
        elapsed = time.perf_counter() - started
        trips = aws.round_trips()
        answer = json.loads(response.body) if response.body else None
        return response.status_code, answer, trips, elapsed


def account(username: str, role: str) -> str:
    from chalicelib.domain.principal import Origin
    from chalicelib.domain.roles import Role
    from chalicelib.services import users

    user = users.create_user(username=username, email=f"{username}@bench.example.org", password=PASSWORD,
                             role=Role(role), must_change_password=False, actor=None, origin=Origin())
    return user.id


def exam(exam_id: str, mode: str, teacher_ids: list[str]) -> Any:
    from chalicelib.models.base import utcnow
    from chalicelib.models.exams import Exam

    stored = Exam(exam_id, name=f"Bench {mode}", subject="Maths", date="2026-11-20", upload_mode="INDIVIDUAL",
                  marking_scheme=SCHEME, max_points=10, anonymous_prefix="BNCH", grading_mode=mode,
                  question_teachers={"q1": teacher_ids, "q2": teacher_ids} if mode == "QUESTION" else None,
                  question_slots=1 if mode == "QUESTION" else 0, teacher_ids=set(teacher_ids),
                  released_at=utcnow() if mode == "QUESTION" else None)
    stored.save()
    return stored


def page_image() -> tuple[bytes, int, int]:
    import pymupdf

    document = pymupdf.open()
    page = document.new_page(width=595, height=842)
    page.insert_text((72, 300), "Question 1 : 3x + 2 = 11", fontsize=24)
    pixmap = page.get_pixmap(dpi=100, colorspace=pymupdf.csGRAY)
    return pixmap.tobytes("jpeg", jpg_quality=80), pixmap.width, pixmap.height


def seed_copy(exam_id: str, index: int, status: str, teacher_id: str | None, image_key: str,
              size: tuple[int, int]) -> Any:
    from chalicelib.models.copies import Copy, Page

    copy = Copy(uuid.uuid4().hex, exam_id=exam_id, upload_id="bench", anonymous_id=f"BNCH-{index + 1:04d}",
                status=status, page_count=1, teacher_id=teacher_id, student_id=f"s-{index}")
    copy.save()
    Page(copy.id, 0, image_key=image_key, masked_image_key=image_key, width=size[0], height=size[1]).save()
    return copy


def items(exam_id: str) -> dict[str, Any]:
    from chalicelib.models.questions import RubricItem

    made = {}
    for position, (item_id, question, kind, points) in enumerate(
        [("juste", "q1", "absolute", 4), ("signe", "q1", "delta", -1), ("unite", "q1", "delta", -0.5),
         ("ok", "q2", "absolute", 6)], start=1):
        made[item_id] = RubricItem(exam_id, item_id, question_id=question, position=position, label=item_id,
                                   kind=kind, points=points, deleted=False, created_by="bench", version=1)
        made[item_id].save()
    return made


def summary(name: str, trips: list[int], seconds: list[float], errors: int) -> str:
    if not trips:
        return f"  {name:<34} no successful request ({errors} errors)"
    return (f"  {name:<34} round trips median {statistics.median(trips):>3}  max {max(trips):>3}   "
            f"latency p50 {statistics.median(seconds) * 1000:6.1f} ms  max {max(seconds) * 1000:6.1f} ms"
            f"   ({len(trips)} saves, {errors} errors)")


def round_trips_part(client: Any, rounds: int, image_key: str, size: tuple[int, int]) -> None:
    print(f"1. AWS round trips per save ({rounds} saves each, after the desk opened the copy)")
    teacher_id = account("bench-grader", "teacher")
    teacher = Api(client, "bench-grader")

    question_exam = uuid.uuid4().hex
    exam(question_exam, "QUESTION", [teacher_id])
    items(question_exam)
    copy = seed_copy(question_exam, 0, "READY", None, image_key, size)
    base = f"/api/copies/{copy.id}/questions/q1"
    status, grant, _, _ = teacher.send("POST", f"{base}/lock")
    if status not in (200, 201):
        print(f"  question lock: {status} {grant} — question-mode score save not measured")
    else:
        teacher.send("GET", base)  # the desk opens the question
        applied = [["juste"], ["juste", "signe"], ["juste", "signe", "unite"], ["juste", "unite"]]
        version, trips, seconds, errors = 0, [], [], 0
        for number in range(rounds):
            body = {"version": version, "rubric_item_ids": applied[number % len(applied)], "adjustment": 0,
                    "remark": "", "complete": False}
            status, answer, count, elapsed = teacher.send("PUT", f"{base}/score", body, grant["token"])
            if status == 200:
                version = answer["score"]["version"]
                trips.append(count)
                seconds.append(elapsed)
            else:
                errors += 1
                if errors == 1:
                    print(f"  first error of the question score save: {status} {answer}")
        print(summary("apply a rubric item (question mode)", trips, seconds, errors))

    copy_exam = uuid.uuid4().hex
    exam(copy_exam, "COPY", [teacher_id])
    copy = seed_copy(copy_exam, 0, "READY", teacher_id, image_key, size)
    status, grant, _, _ = teacher.send("POST", f"/api/copies/{copy.id}/lock")
    teacher.send("GET", f"/api/copies/{copy.id}")
    version, trips, seconds, errors = 0, [], [], 0
    for number in range(rounds):
        body = {"version": version, "scores": {"q1": [4, 3, 2.5, 3.5][number % 4], "q2": 6}}
        status, answer, count, elapsed = teacher.send("PUT", f"/api/copies/{copy.id}/scores", body,
                                                      grant["token"])
        if status == 200:
            version = answer["version"]
            trips.append(count)
            seconds.append(elapsed)
        else:
            errors += 1
    print(summary("score save (copy mode)", trips, seconds, errors))


def wait(check: Callable[[], bool], deadline: float) -> float | None:
    """Seconds until ``check`` holds (polled), or None past ``deadline`` (monotonic)."""
    started = time.monotonic()
    while time.monotonic() < deadline:
        if check():
            return time.monotonic() - started
        time.sleep(POLL_SECONDS)
    return None


def rescore_part(client: Any, count: int, image_key: str, size: tuple[int, int], deadline: float) -> None:
    from chalicelib import aws
    from chalicelib.models.copies import Copy
    from chalicelib.models.grading import ScoreSheet
    from chalicelib.models.questions import QuestionScore
    from chalicelib.services import rescoring

    print(f"\n2. Re-scoring {count} graded copies after one rubric edit")
    exam_id = uuid.uuid4().hex
    stored_exam = exam(exam_id, "QUESTION", [])
    made = items(exam_id)
    started = time.monotonic()
    copy_ids = []
    with (Copy.batch_write() as copies, QuestionScore.batch_write() as scores,
          ScoreSheet.batch_write() as sheets):
        for index in range(count):
            copy = Copy(uuid.uuid4().hex, exam_id=exam_id, upload_id="bench",
                        anonymous_id=f"BNCH-{index + 1:04d}", status="GRADED", page_count=1,
                        grading_attempts=1, total=9, student_id=f"s-{index}",
                        final_pdf_key=f"final/{exam_id}/{index}/1.pdf")
            by_question = {
                "q1": QuestionScore(copy.id, "q1", exam_id=exam_id, rubric_item_ids=["juste", "signe"],
                                    score=3, complete=True, version=1),
                "q2": QuestionScore(copy.id, "q2", exam_id=exam_id, rubric_item_ids=["ok"], score=6,
                                    complete=True, version=1),
            }
            copies.save(copy)
            for score in by_question.values():
                scores.save(score)
            sheets.save(rescoring.assemble_sheet(copy.id, stored_exam, by_question, made))
            copy_ids.append(copy.id)
    from chalicelib.models.copies import Page

    with Page.batch_write() as pages:
        for copy_id in copy_ids:
            pages.save(Page(copy_id, 0, image_key=image_key, masked_image_key=image_key, width=size[0],
                            height=size[1]))
    print(f"  seeded in {time.monotonic() - started:.1f} s")

    stop_pumps = threading.Event()
    threads = [pump_thread("rescore", stop_pumps)]  # the renders' queue fills meanwhile
    try:
        aws.connect()
        account("bench-admin", "admin")
        admin = Api(client, "bench-admin")

        def stored() -> list[Any]:
            found: list[Any] = []
            for start in range(0, len(copy_ids), 100):
                found.extend(aws.batch_get(*[Copy(c) for c in copy_ids[start:start + 100]]))
            return found

        status, answer, trips, elapsed = admin.send("PATCH", f"/api/exams/{exam_id}/rubrics/signe",
                                                    {"version": 1, "points": -1.5})
        print(f"  PATCH of the item: {status} in {elapsed * 1000:.0f} ms, {trips} AWS round trips, "
              f"answer rescore={answer.get('rescore') if isinstance(answer, dict) else answer}")
        rescored = wait(lambda: all(int(c.grading_attempts or 0) >= 2 for c in stored()), deadline)
        print("  re-scored (question score, sheet, audit, RESCORE move, render queued) — the rescore "
              f"function alone: {'not within the deadline' if rescored is None else f'{rescored:.1f} s'}"
              + (f" ({count / rescored:.1f} copies/s)" if rescored else ""))
        threads.append(pump_thread("render", stop_pumps))
        rendered = wait(lambda: all(c.status == "GRADED" and int(c.grading_attempts or 0) == 2
                                    and float(c.total) == 8.5 for c in stored()), deadline)
        print("  then GRADED again with the new total — the render function, one local worker: "
              f"{'not within the deadline' if rendered is None else f'{rendered:.1f} s'}"
              + (f" ({count / rendered:.1f} copies/s)" if rendered else ""))
        if rescored is not None and rendered is not None:
            print(f"  edit → every copy GRADED again: {elapsed + rescored + rendered:.1f} s")
        done = stored()
        by_status = {s: sum(1 for c in done if c.status == s) for s in {c.status for c in done}}
        print(f"  final statuses: {by_status}")
    finally:
        stop_pumps.set()
        for thread in threads:
            thread.join(timeout=5)


def pump_thread(function: str, stop_pumps: threading.Event) -> threading.Thread:
    """One function's queue pumped in a thread, as ``make dev``'s event pump does."""
    from chalicelib.resources import EVENT_ROUTES
    from infra.local.pump import QueuePump, load_handler

    route = next(route for route in EVENT_ROUTES if route.function == function)
    pump = QueuePump(route, load_handler(function), stop_pumps, wait_seconds=1)
    thread = threading.Thread(target=pump.run, name=f"pump-{function}", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--deadline", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.deadline
    if "chalicelib" in sys.modules:
        raise RuntimeError("chalicelib was imported before the endpoint was set")
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="bench-rubrics-")) / "moto.log"
    process = start_moto(port, log)
    try:
        os.environ.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", **aws_environment())
        # The functions' and the API's own log lines and metrics would drown the figures.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
        warnings.filterwarnings("ignore", module="aws_lambda_powertools")
        from chalice.test import Client

        from chalicelib import aws, storage
        from infra.local.provision import provision
        from tests.support.chalice_app import thread_safe_app

        provision()
        aws.connect()
        image, width, height = page_image()
        image_key = storage.page_key("bench", "page", 0)
        storage.put_bytes(image_key, image, "image/jpeg")
        with Client(thread_safe_app()) as client:
            round_trips_part(client, args.rounds, image_key, (width, height))
            rescore_part(client, args.copies, image_key, (width, height), deadline)
    finally:
        stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
