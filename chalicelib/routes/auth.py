"""Sign-in, sign-out, who am I, keeping a session alive, and changing one's own password."""

from __future__ import annotations

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.access import PUBLIC, SIGNED_IN, STAFF_PASSWORD_CHANGE, STUDENT_PASSWORD_CHANGE
from chalicelib.domain.principal import Principal
from chalicelib.models.students import Student
from chalicelib.services import auth, sessions
from chalicelib.web import RequestContext, cleared_session_cookie, empty_response, endpoint, session_cookie

blueprint = Blueprint(__name__)


class StaffLoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class StudentLoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)  # the e-mail or the generated sign-in id
    password: str = Field(min_length=1, max_length=1024)


class PasswordChangeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


def _me(principal: Principal) -> dict:
    account = auth.load_account(principal.kind, principal.id)
    user = {
        "id": principal.id,
        "username": principal.display_name,
        "email": getattr(account, "email", None),
        "role": str(principal.role),
        "kind": str(principal.kind),
        "must_change_password": principal.must_change_password,
    }
    if isinstance(account, Student):
        user.update(first_name=account.first_name, last_name=account.last_name)
    return {"user": user, "csrf_token": principal.csrf_token, **_session_end()}


def _session_end() -> dict:
    """When the caller's session ends (also in the ``X-Session-Expires`` header of every answer)."""
    expiry = sessions.request_expiry()
    return {"session_expires_at": sessions.iso_utc(expiry) if expiry else None}


@endpoint(blueprint, "/api/login", methods=["POST"], access=PUBLIC)
def staff_login(ctx: RequestContext):
    """Staff sign-in by username or e-mail; sets the session cookie."""
    body = ctx.body(StaffLoginBody)
    signed_in = auth.staff_login(body.username, body.password, ctx.origin)
    ctx.response_headers["Set-Cookie"] = session_cookie(signed_in.token)
    me = _me(signed_in.principal)
    return {"status": "success", **me}


@endpoint(blueprint, "/api/students/login", methods=["POST"], access=PUBLIC)
def student_login(ctx: RequestContext):
    """Student sign-in by e-mail or generated sign-in id (in ``email``); sets the session cookie."""
    body = ctx.body(StudentLoginBody)
    signed_in = auth.student_login(body.email, body.password, ctx.origin)
    ctx.response_headers["Set-Cookie"] = session_cookie(signed_in.token)
    student = signed_in.account
    return {
        "status": "success",
        "student": {
            "id": student.id,
            "email": student.email,
            "login_id": student.login_id,
            "first_name": student.first_name,
            "last_name": student.last_name,
        },
        "must_change_password": signed_in.principal.must_change_password,
        "csrf_token": signed_in.principal.csrf_token,
        **_session_end(),
    }


@endpoint(blueprint, "/api/logout", methods=["POST"], access=SIGNED_IN)
def logout(ctx: RequestContext):
    """Revoke the session and clear the cookie."""
    auth.logout(ctx.caller, ctx.origin)
    return empty_response(headers={"Set-Cookie": cleared_session_cookie()})


@endpoint(blueprint, "/api/me", methods=["GET"], access=SIGNED_IN)
def me(ctx: RequestContext):
    """The signed-in account and its CSRF token."""
    return _me(ctx.caller)


@endpoint(blueprint, "/api/session/extend", methods=["POST"], access=SIGNED_IN)
def extend_session(ctx: RequestContext):
    """Keep-alive ("Rester connecté"): the session slides forward like after any activity.

    Resolving the session already extended it (a session near its end was last extended long ago);
    it never goes past its absolute cap, 12 hours after sign-in.
    """
    return _session_end()


def _change_password(ctx: RequestContext):
    body = ctx.body(PasswordChangeBody)
    token = auth.change_password(ctx.caller, body.current_password, body.new_password, ctx.origin)
    return empty_response(headers={"Set-Cookie": session_cookie(token)})


@endpoint(blueprint, "/api/me/password", methods=["POST"], access=STAFF_PASSWORD_CHANGE)
def change_staff_password(ctx: RequestContext):
    """Change one's own password (current password required); every other session ends.

    The answer carries a fresh session cookie: the caller stays signed in (new CSRF token from /api/me).
    """
    return _change_password(ctx)


@endpoint(blueprint, "/api/students/me/password", methods=["POST"], access=STUDENT_PASSWORD_CHANGE)
def change_student_password(ctx: RequestContext):
    """A student changes their own password (current password required); same rules as staff."""
    return _change_password(ctx)
