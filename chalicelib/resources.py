"""The platform's buckets, queues and S3 → SQS routes: one definition for infra/ and local mode."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.settings import Settings

#: Key prefixes of the files bucket. Objects created under an event prefix feed that function.
SCANS_PREFIX = "scans/"
HEADERS_PREFIX = "headers/"
RENDER_SPECS_PREFIX = "renders/"
PAGES_PREFIX = "pages/"
FINAL_PREFIX = "final/"
EXPORTS_PREFIX = "exports/"
JOBS_PREFIX = "jobs/"  # account jobs' inputs (roster rows, students to reset): the accounts function
SHEET_JOBS_PREFIX = "sheet-jobs/"  # answer sheet runs' inputs: the sheets function
SHEETS_PREFIX = "sheets/"  # printable answer sheets (PDF); kept: the janitor never lists this prefix
RESCORE_JOBS_PREFIX = "rescore-jobs/"  # a rubric item edited: the rescore function re-scores its copies


@dataclass(frozen=True)
class EventRoute:
    """Objects created under ``prefix`` (ending with ``suffix``) are queued for ``function``."""

    function: str
    prefix: str
    suffix: str
    max_receive_count: int = 3
    visibility_timeout: int = 300


EVENT_ROUTES: tuple[EventRoute, ...] = (
    EventRoute("ingest", SCANS_PREFIX, ".pdf", visibility_timeout=900),
    EventRoute("ocr", HEADERS_PREFIX, ".jpg"),
    EventRoute("render", RENDER_SPECS_PREFIX, ".json"),
    EventRoute("accounts", JOBS_PREFIX, ".json", visibility_timeout=900),
    EventRoute("sheets", SHEET_JOBS_PREFIX, ".json", visibility_timeout=900),
    EventRoute("rescore", RESCORE_JOBS_PREFIX, ".json", max_receive_count=5),
)


def queue_names(settings: Settings) -> dict[str, tuple[str, str]]:
    """Function name → (queue name, dead-letter queue name)."""
    return {
        route.function: (settings.queue_name(route.function), settings.queue_name(route.function, True))
        for route in EVENT_ROUTES
    }
