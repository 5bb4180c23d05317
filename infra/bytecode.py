"""Add compiled bytecode to a Lambda zip (``chalice package`` ships the API's sources only).

A zip without ``.pyc`` files compiles every module at each cold start (``bench.coldstart``'s "from
source" column: ≈ 1.7 s instead of ≈ 0.45 s). The bytecode is ``unchecked-hash``: valid whatever the
files' times in the zip, for the Python of the Lambda runtime (the one running this, checked).

    python -m infra.bytecode infra/build/deployment.zip [--python 3.11]
"""

from __future__ import annotations

import argparse
import compileall
import py_compile
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path


def add_bytecode(archive: Path) -> int:
    """Rewrite ``archive`` with a ``__pycache__`` entry for each module; returns how many were compiled."""
    with tempfile.TemporaryDirectory(prefix="korrigo-bytecode-") as work:
        tree = Path(work) / "tree"
        with zipfile.ZipFile(archive) as source:
            source.extractall(tree)
        for stale in tree.rglob("__pycache__"):
            shutil.rmtree(stale)
        compileall.compile_dir(
            tree, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH, workers=0
        )
        compiled = sum(1 for _ in tree.rglob("*.pyc"))
        rebuilt = Path(work) / "rebuilt"
        shutil.make_archive(str(rebuilt), "zip", tree)
        shutil.move(f"{rebuilt}.zip", archive)
    return compiled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--python", default="3.11", help="the Lambda runtime's Python (must be this one)")
    args = parser.parse_args(argv)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != args.python:
        parser.error(f"bytecode for Python {args.python} needs that Python (this is {running})")
    print(f"{args.archive}: {add_bytecode(args.archive)} modules compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
