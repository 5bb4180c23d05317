"""Resource caps applied to every uploaded scan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one scan may cost. Every cap but the last two is checked before any page is rendered.

    ``memory_mb`` and ``timeout_seconds`` bound the rendering child process (see ``functions.pdf.sandbox``):
    the address space it may map on top of what it has once its modules are imported (RLIMIT_AS), and its
    wall-clock time. They catch what no cheap check can predict, such as a 4 KB file whose nested drawings
    take minutes to render. The sandbox adds its own fixed caps: no output file above 64 MB (a page JPEG is
    a few MB at most), no new process, an empty environment.
    """

    max_bytes: int = 200 * 1024 * 1024
    max_pages: int = 2000
    max_page_pixels: int = 40_000_000  # at ``dpi``, from the declared page size, before rendering
    dpi: int = 150
    memory_mb: int = 1536
    timeout_seconds: float = 600

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pages", "max_page_pixels", "dpi", "memory_mb", "timeout_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Limits.{name} must be positive")
