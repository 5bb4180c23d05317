"""Every user-facing API error carries a stable ``reason`` the SPA words in French and English.

The AST of ``chalicelib/`` is walked: a raise (or construction) of a ``KorrigoError`` subclass
without ``reason=`` fails, and so does a reason with no sentence in both languages of
``frontend/src/i18n/messages/errors.ts``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import BaseModel, Field

from chalicelib.domain.password_policy import MAX_LENGTH, MIN_LENGTH, password_problems
from chalicelib.domain.principal import Origin
from chalicelib.errors import BadRequest, Conflict
from chalicelib.services import passwords
from chalicelib.services.copy_transitions import TransitionLost
from chalicelib.web import _FIELD_REASONS, RequestContext

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "chalicelib"
CATALOGUE = ROOT / "frontend" / "src" / "i18n" / "messages" / "errors.ts"
REASON = re.compile(r"[a-z][a-z0-9_]*")

# Errors that need no reason at the call, with why.
WITHOUT_REASON = {
    "TooManyRequests": "the SPA words every 429 itself, with the wait from Retry-After",
    "TransitionLost": "its __init__ gives the reason copy_changed",
}
# Files whose reason is computed from a table of this module (each table is checked below).
COMPUTED_REASON = {
    "web.py": "the pydantic error type's reason (_FIELD_REASONS)",
    "passwords.py": "the first broken policy rule's reason (_POLICY_REASONS)",
    "locks.py": "the stale_reason its callers pass (constants, checked like reason=)",
}


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """``KorrigoError`` and every class deriving from it anywhere in chalicelib (by name)."""
    names = {"KorrigoError"}
    while True:
        found = {
            node.name
            for tree in trees.values()
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and any(isinstance(base, ast.Name) and base.id in names for base in node.bases)
        }
        if found <= names:
            return names
        names |= found


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _constants(expr: ast.expr) -> set[str] | None:
    """The reasons a ``reason=`` expression can give: a constant, or constants chosen by ``… if … else …``;
    None when it is computed."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        body, orelse = _constants(expr.body), _constants(expr.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SOURCES.rglob("*.py"))}


def _error_calls() -> list[tuple[Path, ast.Call, str]]:
    trees = _trees()
    classes = _error_classes(trees)
    return [
        (path, node, name)
        for path, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (name := _called(node)) in classes and name != "KorrigoError"
    ]


def used_reasons() -> set[str]:
    """Every reason the API can answer: the constants given as ``reason=`` / ``stale_reason=`` and
    those of the tables that compute one."""
    reasons = {"copy_changed", "invalid_value", "password_rejected"}  # the defaults given in code
    given = [k for _, call, _ in _error_calls() for k in call.keywords if k.arg == "reason"]
    given += [
        k
        for tree in _trees().values()
        for k in ast.walk(tree)
        if isinstance(k, ast.keyword) and k.arg == "stale_reason"
    ]
    reasons |= {reason for k in given for reason in _constants(k.value) or ()}
    reasons |= {reason for reason, _ in _FIELD_REASONS.values()}
    reasons |= {reason for _, reason in passwords._POLICY_REASONS}
    return reasons


def catalogue_reasons(language: str) -> set[str]:
    """The keys of ``errors.ts``'s ``reason`` block in ``language`` (``fr`` or ``en``)."""
    text = CATALOGUE.read_text(encoding="utf-8")
    block = re.search(rf"\n  {language}: \{{.*?\n    reason: \{{\n(.*?)\n    \}},", text, re.DOTALL)
    assert block, f"no reason block for {language} in {CATALOGUE.name}"
    return set(re.findall(r"^\s+([a-z][a-z0-9_]*):", block.group(1), re.MULTILINE))


def test_every_error_raised_in_chalicelib_has_a_reason() -> None:
    missing = []
    for path, node, name in _error_calls():
        if name in WITHOUT_REASON:
            continue
        reason = next((k.value for k in node.keywords if k.arg == "reason"), None)
        where = f"{path.relative_to(ROOT)}:{node.lineno} {name}"
        if reason is None:
            missing.append(where)
        elif (constants := _constants(reason)) is not None:
            assert all(REASON.fullmatch(value) for value in constants), where
        else:
            assert path.name in COMPUTED_REASON, f"{where}: a computed reason outside {set(COMPUTED_REASON)}"
    assert not missing, "errors without reason=:\n" + "\n".join(missing)


def test_the_walk_sees_the_errors_it_checks() -> None:
    names = {name for _, _, name in _error_calls()}
    assert {"Conflict", "NotFound", "BadRequest", "Forbidden", "StaleExam", "TransitionLost"} <= names


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_reason_has_a_sentence(language: str) -> None:
    missing = used_reasons() - catalogue_reasons(language)
    assert not missing, f"reasons without a sentence in errors.ts ({language}): {sorted(missing)}"


def test_a_lost_transition_says_the_copy_changed() -> None:
    assert TransitionLost.__mro__[1] is Conflict
    assert TransitionLost(None, []).body()["error"]["reason"] == "copy_changed"  # type: ignore[arg-type]


class Exam(BaseModel):
    name: str = Field(max_length=5)
    pages: int = Field(ge=1)


def _refusal(body: str) -> BadRequest:
    request = SimpleNamespace(headers={"content-type": "application/json"}, raw_body=body.encode())
    with pytest.raises(BadRequest) as caught:
        RequestContext(request, "request-1", Origin()).body(Exam)  # type: ignore[arg-type]
    return caught.value


def test_a_missing_field_is_named_with_its_reason() -> None:
    error = _refusal('{"pages": 2}').body()
    assert error["error"]["reason"] == "field_required"
    assert error["error"]["params"] == {"field": "name"}
    assert error["fields"][0]["reason"] == "field_required"


def test_each_invalid_field_carries_its_reason_and_limit() -> None:
    body = _refusal('{"name": "much too long", "pages": "x"}').body()
    assert body["error"]["code"] == "bad_request"
    by_field = {f["field"]: (f["reason"], f["params"]) for f in body["fields"]}
    assert by_field == {
        "name": ("too_long", {"field": "name", "max": 5}),
        "pages": ("not_a_number", {"field": "pages"}),
    }
    assert _refusal('{"name": "a", "pages": 0}').body()["error"]["params"] == {"field": "pages", "min": 1}


def test_a_body_that_is_not_json_has_its_reason() -> None:
    assert _refusal("{nope").body()["error"]["reason"] == "invalid_json"


@pytest.mark.parametrize(
    ("password", "personal", "reason"),
    [
        ("short9", (), "password_too_short"),
        ("k" * (MAX_LENGTH + 1) + "7", (), "password_too_long"),
        ("123456789012345", (), "password_all_digits"),
        ("jean-dupont-2024", ("jean-dupont",), "password_too_similar"),
        ("password12345", (), "password_too_common"),
    ],
)
def test_a_refused_password_names_the_rule_it_breaks(
    password: str, personal: tuple[str, ...], reason: str
) -> None:
    assert passwords.policy_reason(password_problems(password, personal=personal)[0]) == reason
    with pytest.raises(Exception) as caught:
        passwords.require_acceptable(password, personal=personal)
    error = caught.value.body()["error"]  # type: ignore[attr-defined]
    assert (error["reason"], error["params"]) == (reason, {"min": MIN_LENGTH, "max": MAX_LENGTH})
