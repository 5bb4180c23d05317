"""PDF processing core of the ingest: validation, copy splitting, page images, header crops.

Importing this package does not import MuPDF: the PDF is only ever parsed in a sandboxed child process.
"""

from functions.pdf.errors import ScanRejected
from functions.pdf.final import FinalPage, QuestionLine, Summary, render_final_pdf
from functions.pdf.layout import Layout
from functions.pdf.limits import Limits
from functions.pdf.results import CodedPage, CopyImages, LoosePage, PageImage, ScanResult
from functions.pdf.scan import process_scan

__all__ = [
    "CodedPage",
    "CopyImages",
    "FinalPage",
    "Layout",
    "Limits",
    "LoosePage",
    "PageImage",
    "QuestionLine",
    "ScanRejected",
    "ScanResult",
    "Summary",
    "process_scan",
    "render_final_pdf",
]
