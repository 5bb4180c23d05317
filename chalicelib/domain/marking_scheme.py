"""The marking scheme: a tree of exercises → questions → sub-questions, points on the leaves.

Every node has a stable id (scores are keyed by node id, never by position); parents' points are
derived from their children; the total is any positive number. A leaf's points have at most two
decimals (1.4, 0.3): its full marks are always a valid score (``domain.scoring.score_problem``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_DEPTH = 4
MAX_NODES = 500
MAX_LABEL = 200
MAX_LEAF_POINTS = Decimal(1000)
NODE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class SchemeError(ValueError):
    """A bad node: ``path`` is its 1-based position ("2.1"), ``node_id`` its id when it has one."""

    def __init__(self, message: str, path: str, node_id: str | None = None) -> None:
        super().__init__(message)
        self.message, self.path, self.node_id = message, path, node_id


@dataclass(frozen=True)
class Leaf:
    """A scored question: its id, label path and maximum points."""

    id: str
    label: str
    max_points: Decimal


def new_node_id() -> str:
    """A fresh, short, opaque node id."""
    return "n" + secrets.token_hex(5)


def _points(value: Any, path: str, node_id: str | None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SchemeError(f"Node {path}: points must be a number.", path, node_id)
    try:
        points = Decimal(str(value))
    except InvalidOperation as error:
        raise SchemeError(f"Node {path}: points must be a number.", path, node_id) from error
    if not points.is_finite() or points <= 0 or points > MAX_LEAF_POINTS:
        raise SchemeError(
            f"Node {path}: points must be above 0 and at most {MAX_LEAF_POINTS}.", path, node_id
        )
    if points != points.quantize(Decimal("0.01")):
        raise SchemeError(f"Node {path}: points allow at most two decimals.", path, node_id)
    return points


def normalise_scheme(nodes: Any) -> tuple[list[dict[str, Any]], Decimal]:
    """Validate a submitted tree; returns it with ids on every node, derived points, and the total.

    Raises ``SchemeError`` naming the first bad node.
    """
    if not isinstance(nodes, list) or not nodes:
        raise SchemeError("The marking scheme needs at least one node.", "")
    seen: set[str] = set()
    count = 0

    def walk(items: list[Any], prefix: str, depth: int) -> list[dict[str, Any]]:
        nonlocal count
        result = []
        for position, item in enumerate(items, start=1):
            path = f"{prefix}{position}"
            count += 1
            if count > MAX_NODES:
                raise SchemeError(f"The marking scheme has more than {MAX_NODES} nodes.", path)
            if not isinstance(item, dict):
                raise SchemeError(f"Node {path} must be an object.", path)
            node_id = item.get("id")
            if node_id is not None and (not isinstance(node_id, str) or not NODE_ID.match(node_id)):
                raise SchemeError(f"Node {path}: invalid id.", path)
            if node_id in seen:
                raise SchemeError(f"Node {path}: the id {node_id} is used twice.", path, node_id)
            node_id = node_id or new_node_id()
            seen.add(node_id)
            label = item.get("label")
            if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
                raise SchemeError(
                    f"Node {path}: a label of 1 to {MAX_LABEL} characters is required.", path, node_id
                )
            extra = set(item) - {"id", "label", "points", "children"}
            if extra:
                raise SchemeError(f"Node {path}: unknown field(s) {', '.join(sorted(extra))}.", path, node_id)
            children = item.get("children") or []
            if not isinstance(children, list):
                raise SchemeError(f"Node {path}: children must be a list.", path, node_id)
            if children:
                if depth >= MAX_DEPTH:
                    raise SchemeError(
                        f"Node {path}: the scheme is at most {MAX_DEPTH} levels deep.", path, node_id
                    )
                if item.get("points") is not None:
                    raise SchemeError(
                        f"Node {path}: a node with children takes its points from them.", path, node_id
                    )
                kids = walk(children, f"{path}.", depth + 1)
                points = sum((Decimal(str(kid["points"])) for kid in kids), Decimal(0))
                result.append(
                    {"id": node_id, "label": label.strip(), "points": _number(points), "children": kids}
                )
            else:
                if item.get("points") is None:
                    raise SchemeError(f"Node {path}: a question needs its points.", path, node_id)
                points = _points(item["points"], path, node_id)
                result.append(
                    {"id": node_id, "label": label.strip(), "points": _number(points), "children": []}
                )
        return result

    tree = walk(nodes, "", 1)
    total = sum((Decimal(str(node["points"])) for node in tree), Decimal(0))
    return tree, total


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def leaves(nodes: list[dict[str, Any]], prefix: str = "") -> list[Leaf]:
    """The scored questions of a normalised tree, in reading order, labelled with their path."""
    found: list[Leaf] = []
    for node in nodes:
        label = f"{prefix}{node['label']}"
        if node.get("children"):
            found.extend(leaves(node["children"], f"{label} › "))
        else:
            found.append(Leaf(node["id"], label, Decimal(str(node["points"]))))
    return found
