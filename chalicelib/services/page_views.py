"""What a caller sees of a scanned page: one rule for every screen that shows a copy's pages.

Admins see the page as scanned; everyone else (teachers on the copy desk, the question desk and the
regrade queue) sees its masked image, the identity band blanked in the pixels, whenever the scan has one
(only a copy's first page does).
"""

from __future__ import annotations

from typing import Any

from chalicelib import storage
from chalicelib.domain.principal import Principal
from chalicelib.models.copies import Page


def image_key(page: Page, caller: Principal) -> str:
    """The stored image ``caller`` may see of ``page``."""
    if not caller.is_admin and page.masked_image_key:
        return page.masked_image_key
    return page.image_key


def page_view(page: Page, caller: Principal) -> dict[str, Any]:
    """The API shape of a page for ``caller``: index, a short-lived link to its image, its size."""
    return {
        "index": int(page.index),
        "url": storage.presigned_get(image_key(page, caller)),
        "width": int(page.width),
        "height": int(page.height),
    }
