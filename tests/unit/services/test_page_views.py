"""Which image of a page a caller sees: admins the scan, everyone else the masked image when there is one."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from chalicelib.domain.principal import Principal
from chalicelib.domain.roles import PrincipalKind, Role
from chalicelib.models.copies import Page
from chalicelib.services import page_views


def caller(role: Role) -> Principal:
    return Principal(f"{role.value}-1", PrincipalKind.STAFF, role, "Someone", "s", "c", False)


FIRST = Page("c1", 0, image_key="pages/c1/0.jpg", masked_image_key="pages/c1/0-masked.jpg",
             width=1240, height=1754)
SECOND = Page("c1", 1, image_key="pages/c1/1.jpg", width=1240, height=1754)  # no identity band: no mask


@pytest.mark.parametrize(
    ("role", "page", "key"),
    [
        (Role.ADMIN, FIRST, "pages/c1/0.jpg"),
        (Role.TEACHER, FIRST, "pages/c1/0-masked.jpg"),
        (Role.TEACHER, SECOND, "pages/c1/1.jpg"),
        (Role.ADMIN, SECOND, "pages/c1/1.jpg"),
    ],
)
def test_only_admins_see_the_identity_band_of_a_first_page(role, page, key):
    assert page_views.image_key(page, caller(role)) == key


def test_the_view_links_the_callers_image_with_the_page_size():
    view = page_views.page_view(FIRST, caller(Role.TEACHER))

    assert (view["index"], view["width"], view["height"]) == (0, 1240, 1754)
    assert urlparse(view["url"]).path.endswith("/pages/c1/0-masked.jpg")
