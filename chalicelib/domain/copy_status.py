"""The copy's life cycle: its statuses, the moves between them, and the groups of statuses rules use.

    STAGING ──identify──▶ READY ──lock──▶ LOCKED ──finalise──▶ GRADING_IN_PROGRESS ──rendered──▶ GRADED
       ▲                   │  ▲             │                     │   ▲         ▲                   │
       └────unidentify─────┘  └──release────┘          render failed   └─retry─┘ └────redrive──┘   │
                              ▲  (expiry, break, unassign)         ▼                                │
                              │                              GRADING_FAILED                         │
                              └─────────────────────────────reopen─────────────────────────────────┘

Question mode (issue 15) grades a READY copy question by question (question locks, no copy lock):
``finalise_questions`` moves it READY → GRADING_IN_PROGRESS once every question is complete, and
``rescore`` sends a GRADED copy back to rendering when a rubric edit or a regrade changed its scores
(it keeps its previous final PDFs until the new ones replace them).

Every move is performed by ``chalicelib.services.copy_transitions.transition`` as a conditional write on
the statuses listed here; nothing else writes ``Copy.status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CopyStatus(StrEnum):
    """Where a copy is in its life cycle (stored as the plain string)."""

    STAGING = "STAGING"  # split from a scan, student not confirmed yet
    READY = "READY"  # identified (and possibly dispatched), nobody grading it
    LOCKED = "LOCKED"  # a teacher (or admin) holds the grading lock
    GRADING_IN_PROGRESS = "GRADING_IN_PROGRESS"  # finalised, the final PDFs are being rendered
    GRADING_FAILED = "GRADING_FAILED"  # the render failed; an admin or the teacher may retry
    GRADED = "GRADED"  # final PDFs written


@dataclass(frozen=True)
class Move:
    """A named move of the life cycle: from any of ``sources`` to ``target``."""

    name: str
    sources: frozenset[CopyStatus]
    target: CopyStatus

    def allows(self, status: str | CopyStatus) -> bool:
        """True when a copy in ``status`` may make this move."""
        return status in self.sources


def _move(name: str, sources: set[CopyStatus], target: CopyStatus) -> Move:
    return Move(name, frozenset(sources), target)


S = CopyStatus
IDENTIFY = _move("identify", {S.STAGING, S.READY}, S.READY)  # READY → READY: a correction
UNIDENTIFY = _move("unidentify", {S.READY}, S.STAGING)
LOCK = _move("lock", {S.READY, S.LOCKED}, S.LOCKED)  # LOCKED: an expired lock taken over
RELEASE = _move("release", {S.READY, S.LOCKED}, S.READY)  # READY: a lock item left behind
UNASSIGN = _move("unassign", {S.LOCKED}, S.READY)  # the teacher left the exam or was replaced
EXPIRE_LOCK = _move("expire_lock", {S.LOCKED}, S.READY)  # maintenance: nobody heartbeats any more
FINALISE = _move("finalise", {S.LOCKED}, S.GRADING_IN_PROGRESS)
RETRY = _move("retry", {S.GRADING_FAILED}, S.GRADING_IN_PROGRESS)
REDRIVE = _move("redrive", {S.GRADING_IN_PROGRESS}, S.GRADING_IN_PROGRESS)  # maintenance: spec again
RENDERED = _move("rendered", {S.GRADING_IN_PROGRESS}, S.GRADED)
RENDER_FAILED = _move("render_failed", {S.GRADING_IN_PROGRESS}, S.GRADING_FAILED)
REOPEN = _move("reopen", {S.GRADED}, S.READY)
FINALISE_QUESTIONS = _move("finalise_questions", {S.READY}, S.GRADING_IN_PROGRESS)  # question mode
RESCORE = _move("rescore", {S.GRADED}, S.GRADING_IN_PROGRESS)  # a rubric edit or a regrade answered

MOVES: tuple[Move, ...] = (
    IDENTIFY, UNIDENTIFY, LOCK, RELEASE, UNASSIGN, EXPIRE_LOCK,
    FINALISE, RETRY, REDRIVE, RENDERED, RENDER_FAILED, REOPEN, FINALISE_QUESTIONS, RESCORE,
)



def stay(status: str | CopyStatus) -> Move:
    """A change that keeps the status (an identity correction on a copy already being graded)."""
    return _move("stay", {CopyStatus(status)}, CopyStatus(status))


# Groups of statuses the rules outside the moves use.
GRADING_STARTED = frozenset({S.LOCKED, S.GRADING_IN_PROGRESS, S.GRADING_FAILED, S.GRADED})
REASSIGNABLE = frozenset({S.STAGING, S.READY})  # another teacher may take it over
RETURNABLE = frozenset({S.STAGING, S.READY, S.LOCKED})  # back to dispatch when its teacher leaves
RENDERING = frozenset({S.GRADING_IN_PROGRESS})
FINISHED = frozenset({S.GRADED})  # what students and results see
# A graded copy sent back to rendering (a rubric edit, a regrade answered), or whose new render failed,
# keeps its previous final PDF: its student still sees it meanwhile.
RERENDERING = frozenset({S.GRADING_IN_PROGRESS, S.GRADING_FAILED})


def has_result(status: str | CopyStatus, has_final_pdf: bool) -> bool:
    """True when a copy has a result: GRADED, or graded and being rendered again (a rubric edit, a
    regrade answered), its previous final PDF kept meanwhile. Its student's portal (once released),
    the results, their exports and the release check all count it."""
    return status in FINISHED or (status in RERENDERING and has_final_pdf)


def targets(status: str | CopyStatus) -> frozenset[CopyStatus]:
    """Every status a copy in ``status`` can move to."""
    return frozenset(move.target for move in MOVES if move.allows(status))
