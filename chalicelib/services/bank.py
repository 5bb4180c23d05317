"""A teacher's bank of reusable comments, with usage counts."""

from __future__ import annotations

import uuid
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.domain.principal import Principal
from chalicelib.errors import BadRequest, NotFound
from chalicelib.models.base import condition_failed
from chalicelib.models.grading import BankComment

MAX_COMMENTS = 500


def serialise(comment: BankComment) -> dict[str, Any]:
    """The API shape of a bank comment."""
    return {"id": comment.id, "text": comment.text, "usage_count": int(comment.usage_count)}


def list_comments(owner: Principal) -> list[BankComment]:
    """The caller's comments, most used first."""
    return sorted(BankComment.query(owner.id), key=lambda c: (-int(c.usage_count), c.text.lower()))


def add_comment(owner: Principal, text: str) -> BankComment:
    """Save a comment to the caller's bank."""
    if sum(1 for _ in BankComment.query(owner.id)) >= MAX_COMMENTS:
        raise BadRequest(
            f"The bank holds at most {MAX_COMMENTS} comments.",
            reason="comment_bank_full",
            params={"max": MAX_COMMENTS},
        )
    comment = BankComment(owner.id, uuid.uuid4().hex, text=text.strip())
    comment.save(condition=BankComment.id.does_not_exist())
    return comment


def use_comment(owner: Principal, comment_id: str) -> BankComment:
    """Count one use of the caller's comment."""
    comment = BankComment(owner.id, comment_id)
    try:
        comment.update(actions=[BankComment.usage_count.add(1)], condition=BankComment.id.exists())
    except UpdateError as error:
        if condition_failed(error):
            raise NotFound("No such comment.", reason="comment_not_found") from error
        raise
    return comment


def delete_comment(owner: Principal, comment_id: str) -> None:
    """Remove one of the caller's comments."""
    try:
        BankComment(owner.id, comment_id).delete(condition=BankComment.id.exists())
    except DeleteError as error:
        if condition_failed(error):
            raise NotFound("No such comment.", reason="comment_not_found") from error
        raise
