"""Release, the student portal, exports and statistics."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.access import ADMIN, STAFF, STUDENT
from chalicelib.domain import csv_format
from chalicelib.services import gradebook, results
from chalicelib.web import RequestContext, csv_response, empty_response, endpoint

blueprint = Blueprint(__name__)


@endpoint(blueprint, "/api/exams/{exam_id}/release", methods=["POST"], access=ADMIN)
def release(ctx: RequestContext, exam_id: str):
    """Publish the results to the students."""
    exam = results.release(exam_id, actor=ctx.caller, origin=ctx.origin)
    return {"released_at": exam.released_at.isoformat()}


@endpoint(blueprint, "/api/exams/{exam_id}/release", methods=["DELETE"], access=ADMIN)
def unrelease(ctx: RequestContext, exam_id: str):
    """Withdraw the results."""
    results.unrelease(exam_id, actor=ctx.caller, origin=ctx.origin)
    return empty_response()


@endpoint(blueprint, "/api/exams/{exam_id}/export.csv", methods=["GET"], access=ADMIN)
def export_csv(ctx: RequestContext, exam_id: str):
    """Results CSV (with identities), for Excel in French by default: UTF-8 with BOM, ``;``, decimal
    commas (``14,25``), CRLF. ``?format=rfc``: ``,`` and decimal points without BOM, for other tools;
    ``?format=excel`` names the default; any other value is a 400 (nothing exported, nothing audited)."""
    dialect = csv_format.dialect_named(ctx.query("format"))
    return csv_response(*results.results_csv(exam_id, actor=ctx.caller, origin=ctx.origin, dialect=dialect))


@endpoint(blueprint, "/api/exams/{exam_id}/pronote.csv", methods=["GET"], access=ADMIN)
def export_pronote(ctx: RequestContext, exam_id: str):
    """The Pronote import file, in the one format Pronote imports (no ``?format=``)."""
    return csv_response(*results.pronote_export(exam_id, actor=ctx.caller, origin=ctx.origin))


@endpoint(blueprint, "/api/exams/{exam_id}/gradebook", methods=["GET"], access=ADMIN)
def exam_gradebook(ctx: RequestContext, exam_id: str):
    """Students × questions: one row per copy (its student when identified, its status, its scores and
    total) and one per roster student without a copy (admins only: it names the pupils)."""
    return gradebook.gradebook(exam_id)


@endpoint(blueprint, "/api/exams/{exam_id}/gradebook.csv", methods=["GET"], access=ADMIN)
def exam_gradebook_csv(ctx: RequestContext, exam_id: str):
    """The gradebook as a CSV (French headers; ``?format=excel|rfc`` as the results CSV), audited."""
    dialect = csv_format.dialect_named(ctx.query("format"))
    file = gradebook.gradebook_csv(exam_id, actor=ctx.caller, origin=ctx.origin, dialect=dialect)
    return csv_response(*file)


@endpoint(blueprint, "/api/exams/{exam_id}/release-check", methods=["GET"], access=ADMIN)
def release_check(ctx: RequestContext, exam_id: str):
    """What needs attention before release: students without a copy, copies not graded or not
    identified, students who cannot sign in (releasing stays possible)."""
    return gradebook.release_check(exam_id)


@endpoint(blueprint, "/api/exams/{exam_id}/stats", methods=["GET"], access=STAFF)
def stats(ctx: RequestContext, exam_id: str):
    """Statistics per exam and per question."""
    return results.exam_statistics(exam_id, ctx.caller)


@endpoint(blueprint, "/api/students/me/copies", methods=["GET"], access=STUDENT)
def my_copies(ctx: RequestContext):
    """The student's released, graded copies."""
    return {"copies": results.student_results(ctx.caller)}


@endpoint(blueprint, "/api/students/me/copies/{copy_id}", methods=["GET"], access=STUDENT)
def my_copy(ctx: RequestContext, copy_id: str):
    """One released result of the student."""
    return results.student_result(ctx.caller, copy_id)


@endpoint(blueprint, "/api/students/me/copies/{copy_id}/download", methods=["GET"], access=STUDENT)
def my_download(ctx: RequestContext, copy_id: str):
    """A short-lived link to the student's final PDF."""
    return results.student_download(ctx.caller, copy_id, ctx.origin)
