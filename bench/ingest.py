"""Ingest benchmark: pages/s and peak memory of ``process_scan`` against ``pdftoppm -r 150 -gray -jpeg``.

    python -m bench.ingest [--pages 600] [--seed 0] [--coded-pages 120] [--check-pages 120]
                           [--real-scans DIR]

Generates (once, cached under the temp directory) a scan that looks like a school photocopier's output
(``tests.support.scans.make_scan``: one grey JPEG per A4 page at 150 DPI, skew, noise, handwriting),
then times, each in a fresh process so that peak memory figures are its own:

* ``process_scan``: validation, BATCH split every 4 pages, every page decoded and checked for
  orientation (``functions.pdf.orientation.upright_turn``), a JPEG per page (the scanner's own bytes when
  the page needs no turn and is not a first page), header crop and masked first page per copy (the
  production path), plus two slower variants for context: without JPEG pass-through, and with MuPDF
  rasterising every page;
* ``process_scan`` for an exam with personalised sheets (issue 14): every page decoded, its code looked
  for (``functions.pdf.codes.read_code``: four corners, then the whole page on a scan's first pages or
  once a code was found), turned upright (from the code, else the orientation check) and written with its
  header crop and masked variant; on the same plain scan (no page has a code: after its first pages the
  scan is cut as a plain scan) and on a scan of printed sheets (``tests.support.scans.make_coded_scan``,
  one page in ten upside down);
* ``pdftoppm -r 150 -gray -jpeg`` on the same files (poppler's rasteriser, same output kind); the
  production path must stay at least 2x faster.

Then, per page on the 150 DPI page images (``--check-pages`` of each scan), the code reading (zxing-cpp
on the four corners, on the whole page, and ``read_code``) and the orientation check, in ms, with the
orientation check's accuracy on the pages as scanned and turned upside down (and on the real copier
scans of ``--real-scans``, rendered at 150 DPI, when given).

Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES_PER_COPY = 4
_LAST = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
         "MOREAU", "SIMON", "LAURENT", "LEFÈVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT",
         "FOURNIER")
_FIRST = ("Élodie", "Noé", "Léa", "Hugo", "Chloé", "Lucas", "Inès", "Jules", "Zoé", "Théo", "Anaïs", "Maël",
          "Jade", "Raphaël", "Léna", "Gabriel", "Manon", "Louis", "Camille", "Adèle")
VARIANTS = {
    "default": None,  # the public process_scan
    "no-passthrough": {"passthrough": False},
    "mupdf-only": {"passthrough": False, "direct_decode": False},
    "sheets": None,  # the public process_scan, for an exam with personalised sheets (a code key)
}
LABELS = {
    "default": "process_scan (production path)",
    "no-passthrough": "  without JPEG pass-through",
    "mupdf-only": "  MuPDF rasterising every page",
    "sheets": "process_scan, exam with sheets",
}
CODE_KEY = hashlib.sha256(b"korrigo-bench-sheet-codes").digest()
CHECKS = ("decode", "corners", "whole", "read_code", "orientation")
CHECK_LABELS = {
    "decode": "decode the page JPEG (Pillow)",
    "corners": "code: 4 corners (zxing-cpp)",
    "whole": "code: whole page (zxing-cpp)",
    "read_code": "read_code (corners, then page)",
    "orientation": "orientation check (upright_turn)",
}


def roster(copies: int) -> list[tuple[str, str]]:
    """Deterministic (last, first) names, all distinct."""
    return [(f"{_LAST[n % len(_LAST)]}{'-' + _LAST[n // len(_LAST) % len(_LAST)] if n >= len(_LAST) else ''}",
             _FIRST[(n * 7) % len(_FIRST)]) for n in range(copies)]


def scan_file(pages: int, seed: int) -> Path:
    """The benchmark scan, generated once per generator version, page count and seed.

    Generated in a subprocess: Linux carries a process's peak RSS across fork and exec, so this process
    must stay small for the processes it starts to report their own peak memory.
    """
    return _cached_scan("scan", pages, seed)


def coded_scan_file(pages: int, seed: int) -> Path:
    """A scan of ``pages`` printed sheet pages (4-page booklets), generated once like ``scan_file``."""
    return _cached_scan("coded", pages, seed)


def _cached_scan(kind: str, pages: int, seed: int) -> Path:
    version = hashlib.sha256((ROOT / "tests" / "support" / "scans.py").read_bytes()).hexdigest()[:10]
    path = Path(tempfile.gettempdir()) / f"korrigo-bench-{kind}-{pages}p-seed{seed}-{version}.pdf"
    if not path.exists():
        started = time.perf_counter()
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "bench.ingest", "--generate", str(path), "--kind", kind,
                        "--pages", str(pages), "--seed", str(seed)], check=True, cwd=ROOT)
        print(f"generated in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return path


def generate(path: Path, pages: int, seed: int, kind: str = "scan") -> None:
    from tests.support import scans

    if kind == "coded":
        data = scans.make_coded_scan(sheet_pages(pages), dpi=150, seed=seed)
    else:
        data = scans.make_scan(roster(pages // PAGES_PER_COPY), PAGES_PER_COPY, dpi=150, seed=seed)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)


def sheet_pages(pages: int) -> list:
    """Printed sheet pages as a copier meets them: 4-page booklets, one in ten upside down, slight skew."""
    from chalicelib.domain.sheet_codes import SheetCode, encode
    from tests.support.scans import SheetPage

    result = []
    for number in range(pages):
        code = SheetCode("bench-exam", f"sheet-{number // PAGES_PER_COPY:03d}", number % PAGES_PER_COPY + 1)
        last, first = roster(number // PAGES_PER_COPY + 1)[-1]
        result.append(SheetPage(code=encode(code, CODE_KEY), label=code.label(), name=f"{last} {first}",
                                turn=180 if number % 10 == 7 else 0, skew=(number % 7 - 3) * 0.3))
    return result


def page_images(pdf: Path, limit: int) -> list:
    """The first ``limit`` pages as 150 DPI grey images: a scanner page's own JPEG decoded (and resized if
    it is at another resolution), any other page rasterised by MuPDF."""
    import io

    import pymupdf
    from PIL import Image

    images = []
    with pymupdf.open(pdf) as doc:
        for page in list(doc)[:limit]:
            size = (round(page.rect.width * 150 / 72), round(page.rect.height * 150 / 72))
            found = page.get_images()
            if len(found) == 1 and doc.extract_image(found[0][0])["ext"] in ("jpeg", "jpg"):
                image = Image.open(io.BytesIO(doc.extract_image(found[0][0])["image"])).convert("L")
                images.append(image if image.size == size else image.resize(size))
            else:
                pix = page.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY)
                images.append(Image.frombytes("L", (pix.width, pix.height), pix.samples))
    return images


def run_checks(pdf: Path, limit: int) -> dict[str, object]:
    """Per-page ms of decoding, code reading and the orientation check; the check's verdicts."""
    import io

    import pymupdf
    import zxingcpp
    from PIL import Image

    from functions.pdf.codes import corners, read_code
    from functions.pdf.orientation import upright_turn

    jpegs = []
    with pymupdf.open(pdf) as doc:
        for page in list(doc)[:limit]:
            found = page.get_images()
            jpegs.append(doc.extract_image(found[0][0])["image"] if len(found) == 1 else None)
    images = page_images(pdf, limit)
    times: dict[str, list[float]] = {name: [] for name in CHECKS}
    codes = 0
    verdicts = {"right": 0, "unsure": 0, "wrong": 0}
    for jpeg, image in zip(jpegs, images, strict=True):
        if jpeg is not None:
            started = time.perf_counter()
            Image.open(io.BytesIO(jpeg)).load()
            times["decode"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for box in corners(*image.size):
            zxingcpp.read_barcodes(image.crop(box), formats=zxingcpp.BarcodeFormat.QRCode)
        times["corners"].append(time.perf_counter() - started)
        started = time.perf_counter()
        zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        times["whole"].append(time.perf_counter() - started)
        started = time.perf_counter()
        found = read_code(image, CODE_KEY)
        times["read_code"].append(time.perf_counter() - started)
        codes += found is not None
        truth = found.turn if found is not None else 0  # the generated plain scans are all upright
        started = time.perf_counter()
        verdict = upright_turn(image)
        times["orientation"].append(time.perf_counter() - started)
        if truth in (0, 180):  # the check only tells upright from upside down
            verdicts[_verdict(verdict, truth)] += 1
            turned = upright_turn(image.transpose(Image.Transpose.ROTATE_180))
            verdicts[_verdict(turned, (truth + 180) % 360)] += 1
    return {"pages": len(images), "codes": codes, "verdicts": verdicts,
            "ms": {name: _summary(values) for name, values in times.items()}}


def _verdict(turn: int, truth: int) -> str:
    """right; unsure (0, the page left as it is, when it needed a half turn); wrong (a needless turn)."""
    return "right" if turn == truth else "unsure" if turn == 0 else "wrong"


def run_real_orientation(folder: Path) -> dict[str, object]:
    """The orientation check on every page of the real copier scans, as scanned and turned upside down."""
    from PIL import Image

    from functions.pdf.orientation import upright_turn

    verdicts = {"right": 0, "unsure": 0, "wrong": 0}
    pages = 0
    times: list[float] = []
    for pdf in sorted(folder.glob("*.pdf")):
        for image in page_images(pdf, 10_000):  # these scans are all upright
            started = time.perf_counter()
            verdicts[_verdict(upright_turn(image), 0)] += 1
            times.append(time.perf_counter() - started)
            verdicts[_verdict(upright_turn(image.transpose(Image.Transpose.ROTATE_180)), 180)] += 1
            pages += 1
    return {"pages": pages, "verdicts": verdicts, "ms": _summary(times)}


def _summary(seconds: list[float]) -> dict[str, float]:
    if not seconds:
        return {}
    ordered = sorted(seconds)
    return {"median": 1000 * ordered[len(ordered) // 2], "p95": 1000 * ordered[int(len(ordered) * 0.95)],
            "mean": 1000 * sum(ordered) / len(ordered)}


def in_fresh_process(*arguments: str) -> dict:
    """Run this module with ``arguments`` in a fresh process; the JSON it prints last."""
    completed = subprocess.run([sys.executable, "-m", "bench.ingest", *arguments], capture_output=True,
                               text=True, check=True, cwd=ROOT)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def run_korrigo(pdf: Path, variant: str) -> dict[str, float]:
    """One timed run in this (fresh) process; peak RSS of this process and of the rendering child."""
    from functions.pdf import Layout, Limits, process_scan
    from functions.pdf.sandbox import run_limited
    from functions.pdf.scan import WORKER

    limits = Limits()
    layout = (Layout("BATCH", PAGES_PER_COPY, code_key=CODE_KEY) if variant == "sheets"
              else Layout("BATCH", PAGES_PER_COPY))
    with tempfile.TemporaryDirectory(prefix="korrigo-bench-") as work:
        out = Path(work) / "out"
        started = time.perf_counter()
        if VARIANTS[variant] is None:
            result = process_scan(pdf, out, layout, limits)
        else:
            result = run_limited(WORKER, (pdf, out, layout, limits, VARIANTS[variant]),
                                 memory_mb=limits.memory_mb, timeout_seconds=limits.timeout_seconds)
        seconds = time.perf_counter() - started
        output = sum(path.stat().st_size for path in out.rglob("*.jpg"))
    pages = (sum(len(copy.pages) for copy in result.copies) + len(result.loose)
             + len(getattr(result, "coded", ())))
    return {
        "seconds": seconds,
        "pages": pages,
        "copies": len(result.copies),
        "output_mb": output / 1e6,
        "child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "parent_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def korrigo_in_fresh_process(pdf: Path, variant: str) -> dict[str, float]:
    return in_fresh_process("--run-korrigo", str(pdf), "--variant", variant)


def run_pdftoppm(pdf: Path, pages: int) -> dict[str, float]:
    """pdftoppm into a temp dir; its own peak RSS through wait4."""
    with tempfile.TemporaryDirectory(prefix="korrigo-bench-ppm-") as work:
        started = time.perf_counter()
        process = subprocess.Popen(["pdftoppm", "-r", "150", "-gray", "-jpeg", str(pdf), f"{work}/page"])
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise RuntimeError(f"pdftoppm failed with exit code {process.returncode}")
        files = list(Path(work).iterdir())
        output = sum(path.stat().st_size for path in files)
    if len(files) != pages:
        raise RuntimeError(f"pdftoppm wrote {len(files)} images for {pages} pages")
    return {"seconds": seconds, "pages": pages, "output_mb": output / 1e6, "rss_mb": usage.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=600, help="pages in the scan (a multiple of 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--coded-pages", type=int, default=120, help="pages in the scan of printed sheets")
    parser.add_argument("--check-pages", type=int, default=120,
                        help="pages of each scan timed one by one for code reading and orientation")
    parser.add_argument("--real-scans", type=Path, help="a folder of real copier scans (PDF) for the "
                        "orientation check's accuracy")
    parser.add_argument("--run-korrigo", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-checks", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--run-real", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=("scan", "coded"), default="scan", help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="default", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_korrigo:
        print(json.dumps(run_korrigo(args.run_korrigo, args.variant)))
        return
    if args.run_checks:
        print(json.dumps(run_checks(args.run_checks, args.check_pages)))
        return
    if args.run_real:
        print(json.dumps(run_real_orientation(args.run_real)))
        return
    if args.generate:
        generate(args.generate, args.pages, args.seed, args.kind)
        return
    if args.pages < PAGES_PER_COPY or args.pages % PAGES_PER_COPY:
        parser.error(f"--pages must be a positive multiple of {PAGES_PER_COPY}")
    if args.coded_pages < 0 or args.coded_pages % PAGES_PER_COPY:
        parser.error(f"--coded-pages must be a multiple of {PAGES_PER_COPY} (0: none)")
    if shutil.which("pdftoppm") is None:
        parser.error("pdftoppm (poppler-utils) is not installed")
    pdf = scan_file(args.pages, args.seed)
    coded = coded_scan_file(args.coded_pages, args.seed) if args.coded_pages else None
    size_mb = pdf.stat().st_size / 1e6
    print(f"Scan: {args.pages} pages = {args.pages // PAGES_PER_COPY} copies x {PAGES_PER_COPY}, grey JPEG "
          f"A4 pages at 150 DPI, {size_mb:.1f} MB ({pdf})")
    if coded:
        print(f"Scan of printed sheets: {args.coded_pages} pages = {args.coded_pages // PAGES_PER_COPY} "
              f"booklets x {PAGES_PER_COPY}, a QR code per page, one page in ten upside down, "
              f"{coded.stat().st_size / 1e6:.1f} MB ({coded})")
    print(f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; each run in a fresh process "
          f"(this launcher: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)\n")
    print(f"{'':34} {'seconds':>8} {'pages/s':>8} {'ms/page':>8} {'output':>9} {'peak RSS':>20}")
    korrigo = {}
    for variant in VARIANTS:
        korrigo[variant] = run = korrigo_in_fresh_process(pdf, variant)
        _print_run(LABELS[variant], run)
    poppler = run_pdftoppm(pdf, args.pages)
    _print_poppler(poppler)
    coded_run = coded_poppler = None
    if coded:
        print(f"{'scan of printed sheets:':34}")
        coded_run = korrigo_in_fresh_process(coded, "sheets")
        _print_run("  " + LABELS["sheets"], coded_run)
        coded_poppler = run_pdftoppm(coded, args.coded_pages)
        _print_poppler(coded_poppler, "  ")
    print()
    poppler_rate = poppler["pages"] / poppler["seconds"]
    for variant, run in korrigo.items():
        ratio = run["pages"] / run["seconds"] / poppler_rate
        print(f"ratio {LABELS[variant].strip()} / pdftoppm: {ratio:.2f}x")
    if coded_run and coded_poppler:
        coded_rate = coded_run["pages"] / coded_run["seconds"]
        ratio = coded_rate / (coded_poppler["pages"] / coded_poppler["seconds"])
        print(f"ratio {LABELS['sheets']} / pdftoppm, scan of printed sheets: {ratio:.2f}x")
    print(f"(copies: {korrigo['default']['copies']}; process_scan also writes a header crop and a masked "
          "first page per copy (with sheets: per page), pdftoppm only the pages; the production path must "
          "stay at least 2x faster than pdftoppm)\n")

    pages = str(args.check_pages)
    checks = {"plain scan": in_fresh_process("--run-checks", str(pdf), "--check-pages", pages)}
    if coded:
        checks["printed sheets"] = in_fresh_process("--run-checks", str(coded), "--check-pages", pages)
    print("Per page, on the 150 DPI page images, ms (median / p95):")
    print(f"{'':34} " + " ".join(f"{name:>18}" for name in checks))
    for name in CHECKS:
        cells = []
        for figures in checks.values():
            ms = figures["ms"][name]
            cells.append(f"{ms['median']:7.1f} / {ms['p95']:6.1f}  " if ms else f"{'-':>16}  ")
        print(f"{CHECK_LABELS[name]:34} " + " ".join(cells))
    print("Orientation check on each page as scanned and turned upside down (right / unsure: left as it is / "
          "wrong: turned for nothing):")
    for label, figures in checks.items():
        print(f"  {label}: {_verdicts(figures['verdicts'])} ({figures['codes']} of {figures['pages']} pages "
              "with a code of ours, whose turn is the truth)")
    if args.real_scans:
        real = in_fresh_process("--run-real", str(args.real_scans))
        print(f"  real copier scans, {real['pages']} pages at 150 DPI: {_verdicts(real['verdicts'])}; "
              f"{real['ms']['median']:.1f} ms median, {real['ms']['p95']:.1f} ms p95 a page")


def _verdicts(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    return f"{counts['right']}/{total} right, {counts['unsure']} unsure, {counts['wrong']} wrong"


def _print_run(label: str, run: dict[str, float]) -> None:
    rate = run["pages"] / run["seconds"]
    memory = f"child {run['child_rss_mb']:4.0f} MB, caller {run['parent_rss_mb']:3.0f} MB"
    print(f"{label:34} {run['seconds']:8.2f} {rate:8.1f} {1000 / rate:8.1f} "
          f"{run['output_mb']:6.0f} MB   {memory}")


def _print_poppler(poppler: dict[str, float], indent: str = "") -> None:
    rate = poppler["pages"] / poppler["seconds"]
    print(f"{indent + 'pdftoppm -r 150 -gray -jpeg':34} {poppler['seconds']:8.2f} {rate:8.1f} "
          f"{1000 / rate:8.1f} {poppler['output_mb']:6.0f} MB   {poppler['rss_mb']:4.0f} MB")


if __name__ == "__main__":
    main()
