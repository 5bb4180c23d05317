"""Every route declares who may call it, and the declarations hold for each kind of caller."""

from __future__ import annotations

import json
import re

import pytest

from app import app
from chalicelib.access import Access
from chalicelib.domain.roles import Role

ROUTES = [(path, method, entry.view_function)
          for path, methods in app.routes.items() for method, entry in methods.items()]
PROTECTED = [(path, method, view) for path, method, view in ROUTES if not view.korrigo_access.public]
SAMPLE_ID = "0" * 32


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", SAMPLE_ID, path)


def call(api, method: str, path: str, headers: dict[str, str]):
    content_type = app.routes[path][method].content_types[0]
    body = "{}" if method in ("POST", "PUT", "PATCH", "DELETE") else None
    return api.http.request(method, concrete(path), headers={**headers, "Content-Type": content_type},
                            body=body)


@pytest.mark.parametrize(("path", "method", "view"), ROUTES, ids=[f"{m} {p}" for p, m, _ in ROUTES])
def test_every_route_declares_its_access(path, method, view):
    assert isinstance(getattr(view, "korrigo_access", None), Access), f"{method} {path} has no declaration"


@pytest.mark.parametrize(("path", "method", "view"), PROTECTED, ids=[f"{m} {p}" for p, m, _ in PROTECTED])
def test_anonymous_callers_get_401_on_every_protected_route(api, path, method, view):
    response = call(api, method, path, {})
    assert response.status_code == 401, (method, path, response.body)
    assert json.loads(response.body)["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.TEACHER])
def test_each_role_is_refused_exactly_where_its_role_is_not_declared(api, role, admin, teacher):
    session = admin if role is Role.ADMIN else teacher
    for path, method, view in ROUTES:
        access: Access = view.korrigo_access
        if access.public or path.endswith("/logout"):
            continue
        response = call(api, method, path, session.headers())
        if role in access.roles:
            assert response.status_code != 403, (role, method, path, response.body)
        else:
            assert response.status_code == 403, (role, method, path, response.body)


def test_unknown_method_on_a_known_path_uses_the_error_format(api):
    response = api.http.request("DELETE", "/api/health")
    assert response.status_code == 405
    assert json.loads(response.body)["error"]["code"] == "method_not_allowed"
