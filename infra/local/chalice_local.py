"""``chalice local`` with a listen backlog sized for bursts: ``python -m infra.local.chalice_local local …``.

Chalice's local server keeps socketserver's listen backlog of 5 and has no option to change it: with
50 sign-ins arriving at once, the kernel reset the connections it could not queue and the gateway
answered 502 (issue 12). This sets the gateway's backlog on Chalice's server class, then runs Chalice's
own command line with the arguments given; the one-thread-per-request server is unchanged.
"""

from __future__ import annotations

import sys

from chalice import local
from chalice.cli import main as chalice_main

from infra.local.gateway import LISTEN_BACKLOG


def main() -> int:
    """Run ``chalice`` with ``sys.argv[1:]``, its local server listening with ``LISTEN_BACKLOG``."""
    local.ThreadedHTTPServer.request_queue_size = LISTEN_BACKLOG
    sys.argv[0] = "chalice"
    return chalice_main()


if __name__ == "__main__":
    sys.exit(main())
