"""Operator commands: ``python -m chalicelib.cli check-deploy`` names every unsafe production setting."""

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="korrigo", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-deploy", help="report unsafe production settings")
    check.add_argument("--stage", choices=["local", "prod"], help="override KORRIGO_STAGE")
    args = parser.parse_args(argv)
    if args.command == "check-deploy":
        return check_deploy(args.stage)
    return 2


if __name__ == "__main__":
    sys.exit(main())
