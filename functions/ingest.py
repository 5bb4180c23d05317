"""Ingest function: a scan landed under ``scans/`` → validate, split, render, store copies in STAGING
(and a BATCH scan's pages left over after its last full copy as pages to place).

An exam with personalised sheets (``Booklet`` items) has every page's code read: pages are turned
upright, grouped by booklet in page order (one copy per booklet, identified by its code when printed for
a student), and pages without a usable code go to the pages to place with a guess of their place.

Thin handler: the PDF work is in ``functions.pdf``, the bookkeeping in ``chalicelib.services.scans``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from boto3.s3.inject import download_file

from chalicelib import aws, storage
from chalicelib.domain.copy_status import CopyStatus
from chalicelib.domain.sheet_codes import code_key
from chalicelib.models.exams import Exam
from chalicelib.models.sheets import Booklet
from chalicelib.observability import logger, metrics
from chalicelib.resources import EVENT_ROUTES
from chalicelib.services import copies, loose_pages, scans
from chalicelib.settings import get_settings
from functions.events import created_objects
from functions.ocr_engines import engine_for
from functions.ocr_engines.printed import read_identity
from functions.pdf import Layout, Limits, ScanRejected, ScanResult, process_scan
from functions.pdf.booklets import Guess, group_pages
from functions.pdf.results import CodedPage

ALREADY_SCANNED = "already_scanned"  # a page of a booklet whose copy another scan made

processor = BatchProcessor(event_type=EventType.SQS)
aws.connect()  # S3 and every DynamoDB client built in the init phase, not by the first record
MAX_RECEIVES = next(route.max_receive_count for route in EVENT_ROUTES if route.function == "ingest")


def limits() -> Limits:
    """Processing limits from the settings."""
    settings = get_settings()
    return Limits(
        max_bytes=settings.max_upload_bytes,
        max_pages=settings.max_scan_pages,
        max_page_pixels=settings.max_page_pixels,
    )


def store_copies(upload: Any, exam: Exam, result: ScanResult) -> int:
    """Upload the images and register each copy whole; headers last, so OCR finds its copy."""
    reservation = scans.reserve_sequence(upload, len(result.copies))
    pages_total = 0
    headers: list[tuple[str, Path]] = []
    for position, copy_images in enumerate(result.copies):
        copy_id = scans.copy_id_for(upload.id, position)
        records = []
        for index, page in enumerate(copy_images.pages):
            key = storage.page_key(exam.id, copy_id, index)
            storage.put_bytes(key, page.path.read_bytes(), "image/jpeg")
            masked_key = None
            if page.masked_path is not None:
                masked_key = storage.page_key(exam.id, copy_id, index, masked=True)
                storage.put_bytes(masked_key, page.masked_path.read_bytes(), "image/jpeg")
            records.append(scans.PageRecord(key, page.width, page.height, masked_key))
        copy, created = scans.register_copy(upload, position, reservation.anonymous_id(position), records)
        pages_total += len(records)
        if created:
            headers.append((storage.header_key(exam.id, copy.id), copy_images.header_path))
    for key, path in headers:
        storage.put_bytes(key, path.read_bytes(), "image/jpeg")
    return pages_total


def store_loose_pages(upload: Any, exam: Exam, result: ScanResult) -> int:
    """Upload the images of the pages left over after the last full copy and list them to be placed."""
    records = []
    for position, loose in enumerate(result.loose):
        (page,) = loose.images.pages
        keys = {kind: loose_pages.image_key(exam.id, upload.id, position, kind)
                for kind in ("", "masked", "header")}
        storage.put_bytes(keys[""], page.path.read_bytes(), "image/jpeg")
        if page.masked_path is not None:
            storage.put_bytes(keys["masked"], page.masked_path.read_bytes(), "image/jpeg")
        storage.put_bytes(keys["header"], loose.images.header_path.read_bytes(), "image/jpeg")
        records.append(loose_pages.LooseRecord(
            image_key=keys[""],
            masked_image_key=keys["masked"] if page.masked_path is not None else None,
            header_key=keys["header"],
            width=page.width,
            height=page.height,
            source_page=loose.source + 1,
        ))
    loose_pages.register(upload, records)
    return len(records)


def has_sheets(exam_id: str) -> bool:
    """Whether personalised sheets were printed for the exam (one Query of one item)."""
    return next(iter(Booklet.query(exam_id, limit=1)), None) is not None


def _put_coded(exam: Exam, upload: Any, position: int, page: CodedPage, *, first: bool) -> scans.PageRecord:
    """Store a coded scan page's image (and, for a copy's first page or a page to place, its masked
    variant and header crop) under the scan page's own keys."""
    (image,) = page.images.pages
    key = scans.coded_page_key(exam.id, upload.id, position)
    storage.put_bytes(key, image.path.read_bytes(), "image/jpeg")
    masked_key = None
    if first and image.masked_path is not None:
        masked_key = scans.coded_page_key(exam.id, upload.id, position, "masked")
        storage.put_bytes(masked_key, image.masked_path.read_bytes(), "image/jpeg")
        storage.put_bytes(scans.coded_page_key(exam.id, upload.id, position, "header"),
                          page.images.header_path.read_bytes(), "image/jpeg")
    return scans.PageRecord(key, image.width, image.height, masked_key)


def printed_identities(pages: list[CodedPage]) -> dict[int, tuple[str, int]]:
    """Scan position → (sheet id, page) read by OCR on the printed line of each page whose code is
    unreadable (rare: a smudge, a fold), so that its copy does not report it missing."""
    unreadable = [(position, page) for position, page in enumerate(pages) if page.code is None]
    if not unreadable:
        return {}
    engine = engine_for(get_settings().effective_ocr_engine)
    found = {}
    for position, page in unreadable:
        identity = read_identity(page.images.pages[0].path, engine)
        if identity is not None:
            found[position] = identity
    return found


def store_coded(upload: Any, exam: Exam, result: ScanResult) -> tuple[int, int, int]:
    """Register a scan of personalised sheets: a copy per booklet (identified by code when printed for a
    student), the other pages to place; returns (copies, pages in copies, pages to place)."""
    booklets = {booklet.sheet_id: booklet for booklet in Booklet.query(exam.id)}
    grouping = group_pages(result.coded, exam.id, {sid: int(b.pages) for sid, b in booklets.items()},
                           printed_identities(result.coded))
    position_of = {id(page): position for position, page in enumerate(result.coded)}
    stray: list[tuple[CodedPage, str, Guess | None]] = [(s.page, s.reason, s.guess) for s in grouping.stray]
    reservation = scans.reserve_sequence(upload, len(grouping.copies))
    headers: list[tuple[str, Path]] = []
    made = pages_total = 0
    for position, found in enumerate(grouping.copies):
        records = [_put_coded(exam, upload, position_of[id(page)], page, first=index == 0)
                   for index, page in enumerate(found.pages)]
        header = scans.coded_page_key(exam.id, upload.id, position_of[id(found.pages[0])], "header")
        booklet = scans.BookletScan(found.sheet_id, found.missing, found.duplicates, header)
        copy, created = scans.register_copy(upload, position, reservation.anonymous_id(position), records,
                                            booklet)
        if copy.upload_id != upload.id:  # the booklet came with an earlier scan: one copy per booklet
            stray += [(page, ALREADY_SCANNED, Guess(found.sheet_id, page.code.page))
                      for page in found.pages if page.code is not None]
            continue
        made += 1
        pages_total += len(records)
        student_id = booklets[found.sheet_id].student_id
        if student_id and copy.status == CopyStatus.STAGING and not copy.student_id:
            if copies.identify_by_code(copy, student_id):
                continue  # no header, no OCR
            logger.info("booklet not identified by its code", extra={"copy_id": copy.id})
        if created:
            headers.append((storage.header_key(exam.id, copy.id), found.pages[0].images.header_path))
    records = []
    for page, reason, guess in stray:
        stored = _put_coded(exam, upload, position_of[id(page)], page, first=True)
        records.append(loose_pages.LooseRecord(
            image_key=stored.image_key,
            masked_image_key=stored.masked_image_key,
            header_key=scans.coded_page_key(exam.id, upload.id, position_of[id(page)], "header"),
            width=stored.width,
            height=stored.height,
            source_page=page.source + 1,
            reason=reason,
            guess_copy_id=scans.booklet_copy_id(exam.id, guess.sheet_id) if guess else None,
            guess_page=guess.page if guess else None,
        ))
    loose_pages.register(upload, records)
    for key, path in headers:
        storage.put_bytes(key, path.read_bytes(), "image/jpeg")
    return made, pages_total, len(records)


def size_problem(actual: int, declared: int | None) -> ScanRejected | None:
    """Why an uploaded object of ``actual`` bytes may not be processed, or None.

    S3 enforces the pre-signed POST's size range; the local emulator does not: the real size is checked
    against the limit and the upload's declared size before anything is downloaded.
    """
    limit = get_settings().max_upload_bytes
    if actual > limit:
        return ScanRejected(
            f"The file is too large ({actual / 2**20:.1f} MB; the limit is {limit // 2**20} MB): it was "
            "not processed. Split the scan into smaller files.",
            reason="file_too_large",
            params={"size": actual, "limit": limit},
        )
    if declared is not None and actual > declared:
        return ScanRejected(
            f"The file received ({actual} bytes) is larger than the size announced for this upload "
            f"({declared} bytes): it was not processed. Upload it again.",
            reason="file_larger_than_announced",
            params={"size": actual, "declared": declared},
        )
    return None


def _checked_object(key: str, upload: Any) -> dict[str, Any] | None:
    """The object's download arguments (its version) when its real size is acceptable, else None."""
    head = aws.client("s3").head_object(Bucket=get_settings().files_bucket, Key=key)
    problem = size_problem(int(head["ContentLength"]), int(upload.size) if upload.size is not None else None)
    if problem:
        scans.fail(upload.exam_id, upload.id, problem.message, problem.reason, problem.params)
        return None
    version = head.get("VersionId")
    return {"VersionId": version} if version and version != "null" else {}


def process_object(key: str, receive_count: int) -> None:
    """Process one uploaded scan (idempotent)."""
    ids = storage.parse_scan_key(key)
    if ids is None:
        logger.warning("not a scan key", extra={"key": key})
        return
    exam_id, upload_id = ids
    upload = scans.claim(exam_id, upload_id)
    if upload is None:
        logger.info("upload already processed", extra={"upload_id": upload_id})
        return
    try:
        download_args = _checked_object(key, upload)
        if download_args is None:
            return
        exam = Exam.get(exam_id, consistent_read=True)
        layout = Layout(
            mode=exam.upload_mode,
            pages_per_copy=int(exam.pages_per_copy or 0) or None,
            split_a3=bool(exam.split_a3),
            code_key=code_key(get_settings().secret_key) if has_sheets(exam_id) else None,
        )
        with tempfile.TemporaryDirectory(prefix="korrigo-ingest-") as work:
            source = Path(work) / "scan.pdf"
            download_file(  # boto3's managed transfer; the version whose size was checked
                aws.client("s3"), get_settings().files_bucket, key, str(source), ExtraArgs=download_args
            )
            result = process_scan(source, Path(work) / "out", layout, limits())
            if result.coded:
                made, pages, loose = store_coded(upload, exam, result)
            else:
                made, pages = len(result.copies), store_copies(upload, exam, result)
                loose = store_loose_pages(upload, exam, result)
        scans.finish(upload, made, pages, loose)
        metrics.add_metric(name="PagesProcessed", unit="Count", value=pages)
    except ScanRejected as rejected:
        scans.fail(exam_id, upload_id, rejected.message, rejected.reason, rejected.params)
    except Exception:
        if receive_count >= MAX_RECEIVES:
            scans.fail(
                exam_id,
                upload_id,
                "Processing failed repeatedly; the scan was set aside. Upload it again or contact support.",
                reason="scan_failed_repeatedly",
            )
        raise


def record_handler(record: SQSRecord) -> None:
    """One SQS message: every scan it announces."""
    receive_count = int(record.attributes.approximate_receive_count or 1)
    for created in created_objects(record.body):
        process_object(created.key, receive_count)


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS batch in, partial batch failures out."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
