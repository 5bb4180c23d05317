"""Cold-start benchmark: import + init time of the API and of each function handler, in fresh processes.

    python -m bench.coldstart [--runs 5] [--importtime]

For every module (``app`` — the Chalice API, ``aws.connect()`` included — then ``functions.ingest``,
``functions.ocr``, ``functions.render``, ``functions.accounts``, ``functions.maintenance``) it starts
``--runs`` fresh interpreters that each import the module once, and prints the medians of:

* **import + init**: the seconds the ``import`` statement takes in that process (the module's own
  init, such as building every AWS client, included) — the part of a Lambda cold start that is ours;
* **process**: the wall clock of the whole ``python -c "import <module>"`` run, interpreter start-up
  and exit included (``python -c pass`` is printed for reference);
* **CPU**: that process's user + system CPU time, which other load on a shared machine disturbs less
  than the wall clock (compare before/after figures on this column when the machine is busy);
* **from source**: import + init again with no bytecode cache at all, every module compiled from its
  ``.py`` — what a Lambda zip without ``.pyc`` files (as ``chalice package`` builds it) pays.

The first three use a bytecode cache of their own (``PYTHONPYCACHEPREFIX`` in a temporary directory,
filled by one uncounted run), so the figures do not depend on ``PYTHONDONTWRITEBYTECODE`` or on the
state of the tree's ``__pycache__``. The environment is the local platform's (``AWS_ENDPOINT_URL`` on a
loopback port, test credentials): ``aws.connect()`` builds its clients without sending a request, so
nothing needs to be running. ``--importtime`` also prints the slowest imports of the API (``python -X
importtime``), to find the next culprit. Prints figures only; asserts nothing (the machines are shared).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "app",
    "functions.ingest",
    "functions.ocr",
    "functions.render",
    "functions.accounts",
    "functions.maintenance",
)
# What ``make dev`` gives the API (``infra.local.dev.Platform.configure``); no request is sent.
LOCAL_ENVIRONMENT = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "KORRIGO_STAGE": "local",
}
# Prints the seconds of the import statement alone, measured inside the fresh process.
PROBE = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def environment(cache: Path, write_bytecode: bool) -> dict[str, str]:
    """The local platform's AWS settings (never real credentials), bytecode cached under ``cache`` only."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "KORRIGO_"))}
    env.update(LOCAL_ENVIRONMENT)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    if write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(module: str | None, env: dict[str, str]) -> tuple[float, float, float]:
    """(import, process, CPU) seconds of one fresh interpreter importing ``module`` (None: nothing)."""
    code = PROBE.format(module=module) if module else "print(0.0)"
    cpu, started = _children_cpu(), time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu
    if result.returncode != 0:
        raise SystemExit(f"coldstart: importing {module} failed:\n{result.stderr.strip()}")
    return float(result.stdout.strip().splitlines()[-1]), elapsed, cpu


def median_of(module: str | None, env: dict[str, str], runs: int) -> tuple[float, ...]:
    """Medians of ``runs`` fresh runs: (import + init, process, CPU) seconds."""
    samples = [run_once(module, env) for _ in range(runs)]
    return tuple(statistics.median(sample[column] for sample in samples) for column in range(3))


def slowest_imports(module: str, env: dict[str, str], count: int) -> list[tuple[int, str]]:
    """The ``count`` imports with the largest cumulative time (µs) under ``python -X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per module and mode (median)")
    parser.add_argument("--importtime", action="store_true", help="also list the API's slowest imports")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="korrigo-pyc-") as cached, \
            tempfile.TemporaryDirectory(prefix="korrigo-nopyc-") as empty:
        warm, cold = environment(Path(cached), True), environment(Path(empty), False)
        load = os.getloadavg()[0]
        print(f"Cold start, median of {args.runs} fresh processes ({os.cpu_count()} CPUs, load {load:.1f})\n")
        print(f"{'module':<24} {'import + init':>14} {'process':>10} {'CPU':>10} {'from source':>12}")
        for module in (None, *MODULES):
            run_once(module, warm)  # fills the bytecode cache; not counted
            imported, process, cpu = median_of(module, warm, args.runs)
            if module is None:
                print(f"{'(python -c pass)':<24} {'':>14} {process * 1000:>7.0f} ms {cpu * 1000:>7.0f} ms")
                continue
            source = median_of(module, cold, args.runs)[0]
            print(f"{module:<24} {imported * 1000:>11.0f} ms {process * 1000:>7.0f} ms "
                  f"{cpu * 1000:>7.0f} ms {source * 1000:>9.0f} ms", flush=True)
        if args.importtime:
            print("\nSlowest imports of app (cumulative; one run under -X importtime, which inflates them):")
            for micros, name in slowest_imports("app", warm, 12):
                print(f"  {micros / 1000:>7.1f} ms  {name}")


if __name__ == "__main__":
    main()
