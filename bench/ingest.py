"""Ingest benchmark: pages/s and peak memory of ``process_scan`` against ``pdftoppm -r 150 -gray -jpeg``.

    python -m bench.ingest [--pages 600] [--seed 0]

Generates (once, cached under the temp directory) a scan that looks like a school photocopier's output
(``tests.support.scans.make_scan``: one grey JPEG per A4 page at 150 DPI, skew, noise, handwriting),
then times, each in a fresh process so that peak memory figures are its own:

* ``process_scan``: validation, BATCH split every 4 pages, a JPEG per page, header crop and masked
  first page per copy (the production path), plus two slower variants for context: without JPEG
  pass-through, and with MuPDF rasterising every page;
* ``pdftoppm -r 150 -gray -jpeg`` on the same file (poppler's rasteriser, same output kind).

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
}
LABELS = {
    "default": "process_scan (production path)",
    "no-passthrough": "  without JPEG pass-through",
    "mupdf-only": "  MuPDF rasterising every page",
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
    version = hashlib.sha256((ROOT / "tests" / "support" / "scans.py").read_bytes()).hexdigest()[:10]
    path = Path(tempfile.gettempdir()) / f"korrigo-bench-scan-{pages}p-seed{seed}-{version}.pdf"
    if not path.exists():
        started = time.perf_counter()
        print(f"generating {path.name} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "bench.ingest", "--generate", str(path), "--pages", str(pages),
                        "--seed", str(seed)], check=True, cwd=ROOT)
        print(f"generated in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return path


def generate(path: Path, pages: int, seed: int) -> None:
    from tests.support import scans

    data = scans.make_scan(roster(pages // PAGES_PER_COPY), PAGES_PER_COPY, dpi=150, seed=seed)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)


def run_korrigo(pdf: Path, variant: str) -> dict[str, float]:
    """One timed run in this (fresh) process; peak RSS of this process and of the rendering child."""
    from functions.pdf import Layout, Limits, process_scan
    from functions.pdf.sandbox import run_limited
    from functions.pdf.scan import WORKER

    layout, limits = Layout("BATCH", PAGES_PER_COPY), Limits()
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
    pages = sum(len(copy.pages) for copy in result.copies)
    return {
        "seconds": seconds,
        "pages": pages,
        "copies": len(result.copies),
        "output_mb": output / 1e6,
        "child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "parent_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def korrigo_in_fresh_process(pdf: Path, variant: str) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.ingest", "--run-korrigo", str(pdf), "--variant", variant]
    completed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(completed.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--run-korrigo", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="default", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_korrigo:
        print(json.dumps(run_korrigo(args.run_korrigo, args.variant)))
        return
    if args.generate:
        generate(args.generate, args.pages, args.seed)
        return
    if args.pages < PAGES_PER_COPY or args.pages % PAGES_PER_COPY:
        parser.error(f"--pages must be a positive multiple of {PAGES_PER_COPY}")
    if shutil.which("pdftoppm") is None:
        parser.error("pdftoppm (poppler-utils) is not installed")
    pdf = scan_file(args.pages, args.seed)
    size_mb = pdf.stat().st_size / 1e6
    print(f"Scan: {args.pages} pages = {args.pages // PAGES_PER_COPY} copies x {PAGES_PER_COPY}, grey JPEG "
          f"A4 pages at 150 DPI, {size_mb:.1f} MB ({pdf})")
    print(f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; each run in a fresh process "
          f"(this launcher: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)\n")
    print(f"{'':34} {'seconds':>8} {'pages/s':>8} {'ms/page':>8} {'output':>9} {'peak RSS':>20}")
    korrigo = {}
    for variant in VARIANTS:
        run = korrigo_in_fresh_process(pdf, variant)
        korrigo[variant] = run
        rate = run["pages"] / run["seconds"]
        memory = f"child {run['child_rss_mb']:4.0f} MB, caller {run['parent_rss_mb']:3.0f} MB"
        print(f"{LABELS[variant]:34} {run['seconds']:8.2f} {rate:8.1f} {1000 / rate:8.1f} "
              f"{run['output_mb']:6.0f} MB   {memory}")
    poppler = run_pdftoppm(pdf, args.pages)
    poppler_rate = poppler["pages"] / poppler["seconds"]
    print(f"{'pdftoppm -r 150 -gray -jpeg':34} {poppler['seconds']:8.2f} {poppler_rate:8.1f} "
          f"{1000 / poppler_rate:8.1f} {poppler['output_mb']:6.0f} MB   {poppler['rss_mb']:4.0f} MB")
    print()
    for variant, run in korrigo.items():
        ratio = run["pages"] / run["seconds"] / poppler_rate
        print(f"ratio {LABELS[variant].strip()} / pdftoppm: {ratio:.2f}x")
    print(f"(copies: {korrigo['default']['copies']}; process_scan also writes a header crop and a masked "
          "first page per copy, pdftoppm only the pages)")


if __name__ == "__main__":
    main()
