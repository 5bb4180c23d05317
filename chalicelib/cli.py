"""Operator commands: ``python -m chalicelib.cli check-deploy`` names every unsafe production setting;
``python -m chalicelib.cli maintenance [--dry-run]`` runs one maintenance pass against the configured
stack (``AWS_ENDPOINT_URL`` for the local one) and prints every action."""

from __future__ import annotations

import argparse
import sys

from chalicelib.settings import Settings, deployment_problems


def check_deploy(stage: str | None) -> int:
    """Print each problem of the production configuration; 0 when there is none."""
    settings = Settings(**({"stage": stage} if stage else {}))
    problems = deployment_problems(settings)
    if settings.is_local:
        print("Stage is local: production guards do not apply (use --stage prod to check a deployment).")
        return 0
    for problem in problems:
        print(f"✗ {problem}")
    if problems:
        print(f"{len(problems)} setting(s) must be fixed before deploying.")
        return 1
    print("✓ The production settings pass every guard.")
    return 0


def maintenance(dry_run: bool) -> int:
    """One maintenance pass, each action printed as it happens; 1 when a step failed."""
    from chalicelib.observability import logger
    from chalicelib.services import maintenance as service

    logger.setLevel("WARNING")  # each action is printed below (and audited): no JSON line per action
    report = service.run(dry_run=dry_run, on_action=lambda action: print(action.line(dry_run), flush=True))
    counts = ", ".join(f"{status} {count}" for status, count in report.copies_by_status.items())
    print(f"Copies when the pass started: {counts}.")
    print(f"Stuck in GRADING_IN_PROGRESS past the render deadline: {report.stuck_copies}.")
    verb = "would be taken (dry run: nothing changed)" if dry_run else "taken"
    print(f"{len(report.actions)} action(s) {verb}, {report.errors} error(s).")
    return 1 if report.errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="korrigo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-deploy", help="report unsafe production settings")
    check.add_argument("--stage", choices=["local", "prod"], help="override KORRIGO_STAGE")
    run = commands.add_parser("maintenance", help="recover stuck work, expire locks, delete orphaned files")
    run.add_argument("--dry-run", action="store_true", help="report the actions, change nothing")
    args = parser.parse_args(argv)
    if args.command == "check-deploy":
        return check_deploy(args.stage)
    if args.command == "maintenance":
        return maintenance(args.dry_run)
    return 2


if __name__ == "__main__":
    sys.exit(main())
