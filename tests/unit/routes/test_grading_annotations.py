"""Annotations carry no points: a body with ``score_delta`` is refused with a 422 naming the field and
nothing is stored; annotations are served without one."""

from __future__ import annotations

import json

from chalicelib import aws
from chalicelib.models.grading import Annotation
from tests.unit.routes.test_lock_release import desk, lock  # noqa: F401  (the fixture)

TICK = {"page_index": 0, "type": "tick", "geometry": {"x": 0.5, "y": 0.5}}


def post(api, session, copy_id: str, token: str, body: dict):
    headers = session.headers() | {"X-Lock-Token": token}
    return api.http.post(f"/api/copies/{copy_id}/annotations", headers=headers, body=json.dumps(body))


def stored(copy_id: str) -> list[Annotation]:
    return list(Annotation.query(copy_id, consistent_read=True))


def test_a_score_delta_on_a_new_annotation_is_a_422_naming_the_field_and_nothing_is_stored(api, desk):  # noqa: F811
    copy_id, teacher = desk
    token = lock(api, teacher, copy_id)

    response = post(api, teacher, copy_id, token, {**TICK, "score_delta": -0.5})

    assert response.status_code == 422
    error = json.loads(response.body)["error"]
    assert error["reason"] == "annotation_points_removed"
    assert error["params"] == {"field": "score_delta"}
    assert "score_delta" in error["message"]
    assert stored(copy_id) == []


def test_even_a_null_score_delta_is_refused(api, desk):  # noqa: F811
    copy_id, teacher = desk
    token = lock(api, teacher, copy_id)
    assert post(api, teacher, copy_id, token, {**TICK, "score_delta": None}).status_code == 422
    assert stored(copy_id) == []


def test_a_score_delta_in_a_patch_is_a_422_and_the_annotation_is_unchanged(api, desk):  # noqa: F811
    copy_id, teacher = desk
    token = lock(api, teacher, copy_id)
    created = json.loads(post(api, teacher, copy_id, token, TICK).body)
    assert "score_delta" not in created

    headers = teacher.headers() | {"X-Lock-Token": token}
    response = api.http.patch(
        f"/api/copies/{copy_id}/annotations/{created['id']}",
        headers=headers,
        body=json.dumps({"version": created["version"], "score_delta": 2}),
    )

    assert response.status_code == 422
    assert json.loads(response.body)["error"]["params"] == {"field": "score_delta"}
    (annotation,) = stored(copy_id)
    assert int(annotation.version) == 1 and "score_delta" not in annotation.serialize()


def test_an_old_annotation_with_a_score_delta_is_served_without_it(api, desk):  # noqa: F811
    copy_id, teacher = desk
    old = Annotation(copy_id, "old", page_index=0, type="cross", geometry={"x": 0.2, "y": 0.2}, author_id="t",
                     version=1)
    stored = {**old.serialize(), "score_delta": {"N": "-1"}}  # as stored before annotations lost points
    aws.dynamodb_connection().client.put_item(TableName=Annotation.Meta.table_name, Item=stored)

    response = api.http.get(f"/api/copies/{copy_id}", headers=teacher.headers())

    assert response.status_code == 200
    (annotation,) = json.loads(response.body)["annotations"]
    assert annotation["id"] == "old" and "score_delta" not in annotation
