"""Korrigo's API: the Chalice app. Wiring only: blueprints and middleware; logic is in chalicelib.

Its init (Lambda's init phase) runs with the cyclic garbage collector paused: it allocates ~95,000
objects that live as long as the process and frees almost none, so the ~200 collections they would
trigger (a full one among them) are pure cost, ~60 ms of the cold start (measured). At its end they are
frozen (``gc.freeze``): no collection during a request scans them again.
"""

import gc

_COLLECTING = gc.isenabled()
gc.disable()

from chalice import Chalice  # noqa: E402 - imported with the collector paused

from chalicelib import aws  # noqa: E402
from chalicelib.middleware import http_middleware  # noqa: E402
from chalicelib.routes import (  # noqa: E402
    audit,
    auth,
    copies,
    exams,
    grading,
    health,
    pages,
    questions,
    regrades,
    results,
    roster,
    rubrics,
    sheets,
    students,
    users,
)
from chalicelib.settings import get_settings  # noqa: E402

settings = get_settings()  # refuses to start on an unsafe production configuration
aws.connect()  # every AWS client built once, before the first request

app = Chalice(app_name="korrigo")
app.api.binary_types.append("application/pdf")
app.register_middleware(http_middleware, "http")
for blueprint in (
    health.blueprint,
    auth.blueprint,
    users.blueprint,
    audit.blueprint,
    exams.blueprint,
    copies.blueprint,
    grading.blueprint,
    results.blueprint,
    students.blueprint,
    roster.blueprint,
    pages.blueprint,
    sheets.blueprint,
    questions.blueprint,
    rubrics.blueprint,
    regrades.blueprint,
):
    app.register_blueprint(blueprint)

gc.freeze()  # init's objects: never scanned again
if _COLLECTING:
    gc.enable()
