"""Korrigo's API: the Chalice app. Wiring only: blueprints and middleware; logic is in chalicelib."""

from chalice import Chalice

from chalicelib import aws
from chalicelib.middleware import http_middleware
from chalicelib.routes import audit, auth, copies, exams, grading, health, results, roster, students, users
from chalicelib.settings import get_settings

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
):
    app.register_blueprint(blueprint)
