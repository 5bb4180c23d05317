"""Staff account management (admins only)."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.access import ADMIN
from chalicelib.domain.roles import Role
from chalicelib.errors import BadRequest
from chalicelib.services import users
from chalicelib.web import RequestContext, endpoint, json_response

blueprint = Blueprint(__name__)


def _email(value: str) -> str:
    """pydantic's ``EmailStr`` rule and normal form; email-validator loads on use, not at the API start."""
    from pydantic.networks import validate_email

    return validate_email(value)[1]


Email = Annotated[str, AfterValidator(_email)]

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
]


class CreateUserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    email: Email
    password: str = Field(min_length=1, max_length=1024)
    role: Literal["teacher", "admin"]


class UpdateUserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


class ResetPasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=1024)


@endpoint(blueprint, "/api/users", methods=["GET"], access=ADMIN)
def list_users(ctx: RequestContext):
    """Staff accounts, filter ``role``."""
    role = ctx.query("role")
    if role not in (None, "admin", "teacher"):
        raise BadRequest("role must be admin or teacher.", reason="staff_role_invalid")
    return {"users": [users.serialise(user) for user in users.list_users(Role(role) if role else None)]}


@endpoint(blueprint, "/api/users", methods=["POST"], access=ADMIN)
def create_user(ctx: RequestContext):
    """Create a teacher or admin; they must change the initial password at first login."""
    body = ctx.body(CreateUserBody)
    user = users.create_user(
        username=body.username,
        email=str(body.email),
        password=body.password,
        role=Role(body.role),
        must_change_password=True,
        actor=ctx.caller,
        origin=ctx.origin,
    )
    return json_response(users.serialise(user), 201)


@endpoint(blueprint, "/api/users/{user_id}", methods=["GET"], access=ADMIN)
def get_user(ctx: RequestContext, user_id: str):
    """One staff account."""
    return users.serialise(users.get_user(user_id))


@endpoint(blueprint, "/api/users/{user_id}", methods=["PATCH"], access=ADMIN)
def update_user(ctx: RequestContext, user_id: str):
    """Disable (revoking every session) or re-enable an account."""
    body = ctx.body(UpdateUserBody)
    return users.serialise(users.set_active(user_id, body.active, actor=ctx.caller, origin=ctx.origin))


@endpoint(blueprint, "/api/users/{user_id}/password", methods=["POST"], access=ADMIN)
def reset_password(ctx: RequestContext, user_id: str):
    """Set a temporary password; the user must change it at next login."""
    body = ctx.body(ResetPasswordBody)
    return users.serialise(users.reset_password(user_id, body.password, actor=ctx.caller, origin=ctx.origin))
