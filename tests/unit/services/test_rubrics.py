"""Re-scoring after a rubric edit: every copy using the item gets its question score recomputed; a graded
one gets its score sheet rebuilt and goes back to rendering (one transaction with its audit event); a
job is idempotent and resumable, waits for a copy being rendered, and never runs ahead of its edit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from chalicelib import aws, storage
from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import PrincipalKind, Role
from chalicelib.models.audit import AuditEvent
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.questions import QuestionScore, RubricItem
from chalicelib.services import finalize, rescoring, rubrics

SCHEME = {"nodes": [{"id": "q1", "label": "Q1", "points": 4}, {"id": "q2", "label": "Q2", "points": 6}]}
ADMIN = Principal(id="admin-1", kind=PrincipalKind.STAFF, role=Role.ADMIN, display_name="Admin",
                  session_id="s", csrf_token="x", must_change_password=False)


def seed_exam(exam_id: str = "e1", teacher_ids: tuple[str, ...] = ("t1",), **fields) -> Exam:
    """A question-mode exam (Q1 on 4 points, Q2 on 6) with ``teacher_ids`` on both questions."""
    exam = Exam(
        exam_id,
        name="Bac blanc",
        subject="Maths",
        date="2026-11-20",
        upload_mode="INDIVIDUAL",
        anonymous_prefix="BACB",
        marking_scheme=SCHEME,
        max_points=10,
        teacher_ids=set(teacher_ids) or None,
        grading_mode="QUESTION",
        question_teachers={"q1": list(teacher_ids), "q2": list(teacher_ids)},
        question_slots=1,
        **fields,
    )
    exam.save()
    return exam


def seed_item(exam_id: str, item_id: str, question_id: str, points: float, kind: str = "delta",
              label: str | None = None, comment: str | None = None, position: int = 1) -> RubricItem:
    item = RubricItem(exam_id, item_id, question_id=question_id, position=position, label=label or item_id,
                      kind=kind, points=points, comment=comment, deleted=False,
                      created_by="admin-1", version=1)
    item.save()
    return item


def seed_copy(exam: Exam, index: int, applied: dict[str, list[str]], status: str = "GRADED",
              student_id: str | None = None) -> Copy:
    """A copy whose questions have ``applied`` items (scores computed by the rubric rule); GRADED and
    FAILED copies also get the score sheet ``assemble_sheet`` makes and a first attempt."""
    items = {item.id: item for item in RubricItem.query(exam.id)}
    copy = Copy(f"{exam.id}-c{index:03d}", exam_id=exam.id, upload_id="u1", anonymous_id=f"BACB-{index:03d}",
                status=status, page_count=2, student_id=student_id)
    scores = {}
    for question_id, item_ids in applied.items():
        max_points = Decimal(4 if question_id == "q1" else 6)
        score = rubrics.question_score(
            [rubrics.Applied(items[i].kind, Decimal(str(items[i].points))) for i in item_ids], Decimal(0),
            max_points,
        )
        scores[question_id] = QuestionScore(copy.id, question_id, exam_id=exam.id, rubric_item_ids=item_ids,
                                            score=rubrics.number(score), complete=True, graded_by="t1",
                                            version=1)
        scores[question_id].save()
    if status in ("GRADED", "GRADING_FAILED", "GRADING_IN_PROGRESS"):
        sheet = rescoring.assemble_sheet(copy.id, exam, scores, items)
        sheet.save()
        copy.grading_attempts = 1
        copy.total = sheet.total
        copy.final_pdf_key = storage.final_pdf_key(exam.id, copy.id, 1)
    copy.save()
    return copy


@pytest.fixture(autouse=True)
def one_worker(monkeypatch):
    """In-process moto rolls a failed transaction back by restoring whole tables: concurrent
    transactions on several threads could undo each other there (the local server used by the
    integration tests and the benchmark does not). One copy at a time here."""
    monkeypatch.setattr(rubrics, "WORKERS", 1)


@pytest.fixture
def graded(mocked_aws: None):
    """Exam e1: Q1 items "full" (absolute 4) and "sign" (delta -1); three GRADED copies using both,
    one using only "full", and one READY copy (question mode, not finalised) using "sign"."""
    aws.connect()
    exam = seed_exam()
    seed_item("e1", "full", "q1", 4, kind="absolute", position=1)
    seed_item("e1", "sign", "q1", -1, label="Signe oublié", comment="Attention aux signes", position=2)
    seed_item("e1", "q2ok", "q2", 6, kind="absolute")
    users = [seed_copy(exam, i, {"q1": ["full", "sign"], "q2": ["q2ok"]}) for i in range(3)]
    other = seed_copy(exam, 3, {"q1": ["full"], "q2": ["q2ok"]})
    ready = seed_copy(exam, 4, {"q1": ["full", "sign"]}, status="READY")
    return exam, users, other, ready


def edit(exam_id: str, item_id: str, **changes) -> rubrics.Update:
    item = RubricItem.get(exam_id, item_id, consistent_read=True)
    return rubrics.update_item(exam_id, item_id, ADMIN, int(item.version), changes, Origin(ip="test"))


def job_of(update: rubrics.Update) -> str:
    return rubrics.job_key(update.item.exam_id, update.item.id, int(update.item.version))


def no_sleep(_: float) -> None:
    pass


def test_an_edit_of_points_writes_the_job_and_the_audited_change_then_the_job_rescores_graded_copies(graded):
    _, users, other, ready = graded

    update = edit("e1", "sign", points=-1.5)

    assert update.copies == 4 and update.rescoring
    assert json.loads(storage.get_bytes(job_of(update))) == {"exam_id": "e1", "item_id": "sign", "version": 2}
    [event] = [e for e in AuditEvent.exam_index.query("e1") if e.action == "rubric.update"]
    assert event.metadata["before"]["points"] == -1 and event.metadata["after"]["points"] == -1.5

    result = rubrics.run_job(job_of(update), sleep=no_sleep)

    assert sorted(result.rescored) == sorted([c.id for c in users] + [ready.id]) and result.pending == []
    for copy in users:
        assert QuestionScore.get(copy.id, "q1", consistent_read=True).score == Decimal("2.5")
        sheet = ScoreSheet.get(copy.id, consistent_read=True)
        assert float(sheet.total) == 8.5 and sheet.scores["q1"] == 2.5
        assert "Signe oublié (-1,5 pt) — Attention aux signes" in sheet.remarks["q1"]
        stored = Copy.get(copy.id, consistent_read=True)
        assert (stored.status, int(stored.grading_attempts)) == ("GRADING_IN_PROGRESS", 2)
        spec = json.loads(storage.get_bytes(finalize.spec_key("e1", copy.id, 2)))
        assert spec["total"] == 8.5
        [rescore] = [e for e in AuditEvent.copy_index.query(copy.id) if e.action == "copy.rescore"]
        assert rescore.metadata["score_before"] == 3 and rescore.metadata["score_after"] == 2.5
        assert rescore.metadata["total_after"] == 8.5
    assert Copy.get(other.id, consistent_read=True).status == "GRADED"
    assert ScoreSheet.get(other.id, consistent_read=True).version == 1
    assert QuestionScore.get(ready.id, "q1", consistent_read=True).score == Decimal("2.5")
    assert Copy.get(ready.id, consistent_read=True).status == "READY"


def test_a_job_run_again_changes_nothing_more(graded):
    update = edit("e1", "sign", points=-2)
    rubrics.run_job(job_of(update), sleep=no_sleep)
    for copy in graded[1]:  # the renders land
        stored = Copy.get(copy.id, consistent_read=True)
        finalize.mark_graded(stored, 2, "final/x.pdf", "final/x-masked.pdf", 8.0)

    again = rubrics.run_job(job_of(update), sleep=no_sleep)

    assert again.rescored == [] and len(again.unchanged) == 4
    assert all(int(Copy.get(c.id, consistent_read=True).grading_attempts) == 2 for c in graded[1])


def test_a_label_or_comment_change_rewrites_the_remarks_and_re_renders_without_changing_scores(graded):
    update = edit("e1", "sign", label="Erreur de signe", comment=None)

    result = rubrics.run_job(job_of(update), sleep=no_sleep)

    assert sorted(result.rescored) == [c.id for c in graded[1]]  # the READY copy has no sheet yet
    assert result.unchanged == [graded[3].id]
    copy = graded[1][0]
    sheet = ScoreSheet.get(copy.id, consistent_read=True)
    assert "• Erreur de signe (-1 pt)" in sheet.remarks["q1"] and "Attention" not in sheet.remarks["q1"]
    assert float(sheet.total) == 9
    assert QuestionScore.get(copy.id, "q1", consistent_read=True).version == 1  # checked, not rewritten
    assert Copy.get(copy.id, consistent_read=True).status == "GRADING_IN_PROGRESS"


def test_a_position_change_alone_queues_no_rescore(graded):
    update = edit("e1", "q2ok", position=5)  # (the bucket is not emptied between tests: an item no
    # other test edits)

    assert (update.copies, update.rescoring) == (0, False)
    assert not storage.exists(rubrics.job_key("e1", "q2ok", 2))
    assert int(RubricItem.get("e1", "q2ok").position) == 5


def test_a_copy_being_rendered_is_waited_for_then_rescored(graded, monkeypatch):
    copy = graded[1][0]
    stored = Copy.get(copy.id, consistent_read=True)
    stored.update(actions=[Copy.status.set("GRADING_IN_PROGRESS")])
    update = edit("e1", "sign", points=-2)
    waits: list[float] = []

    def render_lands(seconds: float) -> None:
        waits.append(seconds)
        Copy(copy.id).update(actions=[Copy.status.set("GRADED")])

    result = rubrics.run_job(job_of(update), sleep=render_lands)

    assert waits == [rubrics.RENDER_WAIT_SECONDS] and copy.id in result.rescored
    assert float(ScoreSheet.get(copy.id, consistent_read=True).total) == 8


def test_a_copy_still_rendering_after_every_try_is_left_for_the_next_run(graded):
    copy = graded[1][0]
    Copy(copy.id).update(actions=[Copy.status.set("GRADING_IN_PROGRESS")])
    update = edit("e1", "sign", points=-2)

    with pytest.raises(rubrics.RescoreIncomplete) as incomplete:
        rubrics.run_job(job_of(update), sleep=no_sleep)

    assert incomplete.value.copy_ids == [copy.id]
    assert float(ScoreSheet.get(graded[1][1].id, consistent_read=True).total) == 8  # the others are done
    Copy(copy.id).update(actions=[Copy.status.set("GRADED")])
    resumed = rubrics.run_job(job_of(update), sleep=no_sleep)
    assert resumed.rescored == [copy.id] and len(resumed.unchanged) == 3


def test_a_failed_render_gets_the_new_sheet_and_keeps_its_status(graded):
    copy = graded[1][0]
    Copy(copy.id).update(actions=[Copy.status.set("GRADING_FAILED")])

    rubrics.run_job(job_of(edit("e1", "sign", points=-2)), sleep=no_sleep)

    assert Copy.get(copy.id, consistent_read=True).status == "GRADING_FAILED"
    assert float(ScoreSheet.get(copy.id, consistent_read=True).total) == 8


def test_a_job_ahead_of_its_edit_waits_and_a_job_for_nothing_does_nothing(graded):
    with pytest.raises(rubrics.RescoreNotReady):
        rubrics.run_job(rubrics.job_key("e1", "sign", 2), sleep=no_sleep)

    assert rubrics.run_job(rubrics.job_key("e1", "gone", 1)).rescored == []
    assert rubrics.run_job("rescore-jobs/bad.json").rescored == []


def test_a_lost_race_on_the_question_score_is_read_again(graded, monkeypatch):
    copy = graded[1][0]
    update = edit("e1", "sign", points=-2)
    real = rubrics.rescoring.rescore
    raced = []

    def teacher_saves_first(*args, **kwargs):
        if args[0].id == copy.id and not raced:
            raced.append(True)
            QuestionScore(copy.id, "q1").update(actions=[QuestionScore.version.add(1)])
        return real(*args, **kwargs)

    monkeypatch.setattr(rubrics.rescoring, "rescore", teacher_saves_first)

    result = rubrics.run_job(job_of(update), sleep=no_sleep)

    assert copy.id in result.rescored
    assert QuestionScore.get(copy.id, "q1", consistent_read=True).version == 3
    assert float(ScoreSheet.get(copy.id, consistent_read=True).total) == 8


def test_an_item_edited_while_a_job_runs_makes_its_write_lose_and_the_copy_is_computed_again(
    graded, monkeypatch
):
    copy = graded[1][0]
    update = edit("e1", "sign", points=-2)
    real = rubrics.rescoring.rescore
    raced = []

    def other_item_edited_first(*args, **kwargs):
        if args[0].id == copy.id and not raced:
            raced.append(True)
            RubricItem("e1", "full").update(actions=[RubricItem.points.set(3.5), RubricItem.version.add(1)])
        return real(*args, **kwargs)

    monkeypatch.setattr(rubrics.rescoring, "rescore", other_item_edited_first)

    rubrics.run_job(job_of(update), sleep=no_sleep)

    assert QuestionScore.get(copy.id, "q1", consistent_read=True).score == Decimal("1.5")  # 3,5 - 2
    assert float(ScoreSheet.get(copy.id, consistent_read=True).total) == 7.5
    assert [e.action for e in AuditEvent.copy_index.query(copy.id)].count("copy.rescore") == 1


def test_statistics_count_the_graded_copies_per_item(graded):
    exam = graded[0]
    graded_ids = [c.id for c in graded[1]] + [graded[2].id]

    stats = {row["item_id"]: row for row in rubrics.statistics(exam, graded_ids)}

    assert stats["full"]["count"] == 4 and stats["sign"]["count"] == 3 and stats["q2ok"]["count"] == 4
    assert [row["item_id"] for row in rubrics.statistics(exam, graded_ids)] == ["full", "sign", "q2ok"]
    assert stats["sign"] == {"question_id": "q1", "item_id": "sign", "label": "Signe oublié", "points": -1,
                             "kind": "delta", "count": 3}
