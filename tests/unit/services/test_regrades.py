"""Regrade requests in the service: question mode (the question's grader, rubric items re-applied, the
copy's sheet assembled again), the window, lost races deciding nothing, and what students are shown."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.principal import Origin, Principal
from chalicelib.domain.roles import PrincipalKind, Role
from chalicelib.errors import BadRequest, Conflict, Forbidden
from chalicelib.models.base import utcnow
from chalicelib.models.copies import Copy
from chalicelib.models.exams import Exam
from chalicelib.models.grading import ScoreSheet
from chalicelib.models.questions import QuestionScore, RegradeRequest, RubricItem
from chalicelib.services import regrades
from tests.unit.routes.test_regrades import graded_copy, released_exam

ORIGIN = Origin(ip="test")


def principal(user_id: str, role: Role = Role.TEACHER) -> Principal:
    kind = PrincipalKind.STUDENT if role is Role.STUDENT else PrincipalKind.STAFF
    return Principal(user_id, kind, role, user_id.title(), "s", "c", False)


GRADER, OTHER, ADMIN = principal("grader"), principal("other"), principal("boss", Role.ADMIN)
ANA = principal("ana", Role.STUDENT)


def item(item_id: str, question_id: str, points: float, kind: str = "delta", position: int = 0) -> None:
    RubricItem(
        "exam-1", item_id, question_id=question_id, position=position, label=f"Item {item_id}", kind=kind,
        points=points, comment="Voir le cours" if item_id == "r-method" else None, created_by="grader",
    ).save()


@pytest.fixture
def question_mode(mocked_aws) -> None:
    """Ana's copy graded question by question: q1 by ``grader`` (method 5 + units -1 = 4 of 8), q2 by
    ``other`` (9 of 12); the sheet assembled from them; the exam released yesterday."""
    released_exam({"grader", "other"})
    Exam("exam-1").update(actions=[Exam.grading_mode.set("QUESTION")])
    graded_copy("c-ana", "ana", None, scores=(4.0, 9.0))
    item("r-method", "q1", 5, kind="absolute")
    item("r-units", "q1", -1, position=1)
    item("r-bonus", "q1", 1, position=2)
    item("r-q2", "q2", 9, kind="absolute")
    QuestionScore("c-ana", "q1", exam_id="exam-1", rubric_item_ids=["r-method", "r-units"], adjustment=0,
                  score=4, complete=True, graded_by="grader", graded_by_name="Grader", version=3).save()
    QuestionScore("c-ana", "q2", exam_id="exam-1", rubric_item_ids=["r-q2"], adjustment=0, score=9,
                  complete=True, graded_by="other", graded_by_name="Other", version=1).save()


def filed(question_id: str = "q1") -> dict:
    return regrades.file_request(ANA, "c-ana", question_id, "La méthode est juste.", ORIGIN)


def test_in_question_mode_only_the_questions_grader_sees_and_answers_it(question_mode):
    filed()

    assert [r["question_id"] for r in regrades.queue(GRADER)] == ["q1"]
    assert regrades.queue(OTHER) == []  # OTHER graded q2 of the same copy, not q1
    with pytest.raises(Forbidden):
        regrades.detail("c-ana", "q1", OTHER)
    detail = regrades.detail("c-ana", "q1", GRADER)
    assert detail["mode"] == "QUESTION"
    assert detail["score"]["rubric_item_ids"] == ["r-method", "r-units"] and detail["score"]["version"] == 3
    assert [i["id"] for i in detail["rubric"]] == ["r-method", "r-units", "r-bonus"]


def test_a_regrade_answer_reapplies_rubric_items_and_reassembles_the_copys_sheet(question_mode):
    filed()

    answered = regrades.answer(
        "c-ana", "q1", GRADER, 1, "Unités acceptées.", regrades.NewScore(rubric_item_ids=["r-method"]), ORIGIN
    )

    assert (answered["score_before"], answered["score_after"]) == (4, 5)
    question = QuestionScore.get("c-ana", "q1")
    assert question.rubric_item_ids == ["r-method"] and float(question.score) == 5
    assert int(question.version) == 4 and question.graded_by == "grader"  # still the question's grader
    sheet = ScoreSheet.get("c-ana")
    assert sheet.scores == {"q1": 5, "q2": 9} and float(sheet.total) == 14
    assert "Item r-method" in sheet.remarks["q1"] and "Voir le cours" in sheet.remarks["q1"]
    assert "Item r-units" not in sheet.remarks["q1"]
    assert Copy.get("c-ana").status == "GRADING_IN_PROGRESS"
    assert RegradeRequest.get("c-ana", "q1").status == "ANSWERED"


def test_a_manual_score_in_question_mode_becomes_the_adjustment(question_mode):
    filed()

    regrades.answer("c-ana", "q1", ADMIN, 1, "Bonus de rédaction.", regrades.NewScore(score=6.5), ORIGIN)

    question = QuestionScore.get("c-ana", "q1")
    assert float(question.score) == 6.5 and float(question.adjustment) == 2.5
    assert question.rubric_item_ids == ["r-method", "r-units"] and question.graded_by == "grader"
    assert float(ScoreSheet.get("c-ana").total) == 15.5


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (regrades.NewScore(rubric_item_ids=["r-q2"]), "rubric_item_unknown"),  # another question's item
        (regrades.NewScore(rubric_item_ids=["nope"]), "rubric_item_unknown"),
        (regrades.NewScore(rubric_item_ids=["r-units", "r-units"]), "rubric_item_repeated"),
        (regrades.NewScore(adjustment=0.1), "question_score_invalid"),
        (regrades.NewScore(score=3, adjustment=1), "question_score_invalid"),
        (regrades.NewScore(score=9), "score_invalid"),  # above the question's 8 points
    ],
)
def test_bad_rubric_answers_are_400_and_change_nothing(question_mode, change, reason):
    filed()
    with pytest.raises(BadRequest) as refused:
        regrades.answer("c-ana", "q1", GRADER, 1, "Non.", change, ORIGIN)
    assert refused.value.reason == reason
    assert int(QuestionScore.get("c-ana", "q1").version) == 3
    assert RegradeRequest.get("c-ana", "q1").status == "OPEN" and Copy.get("c-ana").status == "GRADED"


def test_an_answer_that_read_an_old_question_score_writes_nothing(question_mode, monkeypatch):
    filed()
    stale = regrades.read("c-ana", "q1", GRADER)
    QuestionScore("c-ana", "q1").update(actions=[QuestionScore.version.add(1)])  # a rubric edit meanwhile
    monkeypatch.setattr(regrades, "read", lambda *_args: stale)

    with pytest.raises(Conflict) as refused:
        regrades.answer(
            "c-ana", "q1", GRADER, 1, "Oui.", regrades.NewScore(rubric_item_ids=["r-method"]), ORIGIN
        )

    assert refused.value.reason == "copy_changed"
    assert RegradeRequest.get("c-ana", "q1").status == "OPEN" and Copy.get("c-ana").status == "GRADED"
    assert QuestionScore.get("c-ana", "q1").rubric_item_ids == ["r-method", "r-units"]


def test_two_answers_on_the_same_version_one_wins(question_mode, monkeypatch):
    filed()
    seen = regrades.read("c-ana", "q1", ADMIN)
    regrades.answer("c-ana", "q1", ADMIN, 1, "Non.", regrades.NewScore(), ORIGIN)
    monkeypatch.setattr(regrades, "read", lambda *_args: seen)  # the second answer read before the first

    with pytest.raises(Conflict) as refused:
        regrades.answer("c-ana", "q1", GRADER, 1, "Oui.", regrades.NewScore(score=8), ORIGIN)

    assert refused.value.reason == "regrade_changed"
    stored = RegradeRequest.get("c-ana", "q1")
    assert stored.answer == "Non." and Copy.get("c-ana").status == "GRADED"


def test_a_teacher_removed_from_the_exam_between_read_and_write_answers_nothing(question_mode, monkeypatch):
    filed()
    seen = regrades.read("c-ana", "q1", GRADER)
    Exam("exam-1").update(actions=[Exam.teacher_ids.delete({"grader"})])
    monkeypatch.setattr(regrades, "read", lambda *_args: seen)

    with pytest.raises(Conflict):
        regrades.answer("c-ana", "q1", GRADER, 1, "Oui.", regrades.NewScore(), ORIGIN)
    assert RegradeRequest.get("c-ana", "q1").status == "OPEN"


def test_a_filing_whose_exam_was_unreleased_meanwhile_is_refused(question_mode, monkeypatch):
    copy, exam = regrades._own_copy(ANA, "c-ana")
    Exam("exam-1").update(actions=[Exam.released_at.set(utcnow() - timedelta(days=30))])
    reads = iter([(copy, exam)])  # the filing's read, from before the change; the next ones are fresh
    fresh = regrades._own_copy
    monkeypatch.setattr(regrades, "_own_copy", lambda *args: next(reads, None) or fresh(*args))

    with pytest.raises(Conflict) as refused:
        filed()

    assert refused.value.reason == "regrade_window_closed"
    assert list(RegradeRequest.scan()) == []


def test_the_window_counts_days_from_release_and_zero_closes_it(mocked_aws):
    now = utcnow()
    exam = Exam("e", released_at=now - timedelta(days=2), regrade_window_days=3)
    assert regrades.window_closes_at(exam) == now + timedelta(days=1) and regrades.window_open(exam, now)
    assert not regrades.window_open(exam, now + timedelta(days=1, seconds=1))
    assert regrades.window_closes_at(Exam("e", released_at=now, regrade_window_days=0)) is None
    assert regrades.window_closes_at(Exam("e", released_at=None)) is None


@pytest.mark.parametrize(
    ("status", "final_pdf", "shown"),
    [
        ("GRADED", True, True),
        ("GRADING_IN_PROGRESS", True, True),  # re-rendering after a regrade: the previous PDF stays
        ("GRADING_FAILED", True, True),
        ("GRADING_IN_PROGRESS", False, False),  # a first render: not a result yet
        ("READY", False, False),  # reopened by an admin
    ],
)
def test_what_students_are_shown(status, final_pdf, shown):
    copy = Copy("c", exam_id="e", status=status, final_pdf_key="final/e/c/1.pdf" if final_pdf else None)
    assert regrades.shown_to_student(copy) is shown
