"""Marking-scheme trees: stable ids, derived totals, errors that name the bad node."""

import pytest

from chalicelib.domain.marking_scheme import SchemeError, leaves, normalise_scheme


def test_ids_are_added_kept_and_parents_points_derived():
    tree, total = normalise_scheme(
        [
            {
                "id": "ex1",
                "label": "Exercise 1",
                "children": [
                    {"label": "Q1", "points": 2.5},
                    {
                        "id": "q2",
                        "label": "Q2",
                        "children": [{"label": "a", "points": 1}, {"label": "b", "points": 1.5}],
                    },
                ],
            },
            {"label": "Exercise 2", "points": 15},
        ]
    )
    assert total == 20
    assert tree[0]["id"] == "ex1" and tree[0]["points"] == 5
    assert tree[0]["children"][1]["id"] == "q2" and tree[0]["children"][1]["points"] == 2.5
    assert all(node["id"] for node in (tree[1], *tree[0]["children"]))
    assert [leaf.label for leaf in leaves(tree)] == [
        "Exercise 1 › Q1",
        "Exercise 1 › Q2 › a",
        "Exercise 1 › Q2 › b",
        "Exercise 2",
    ]


def test_resubmitting_the_returned_tree_keeps_every_id():
    tree, _ = normalise_scheme([{"label": "Q1", "points": 4}, {"label": "Q2", "points": 6}])
    again, _ = normalise_scheme(tree)
    assert [node["id"] for node in again] == [node["id"] for node in tree]


@pytest.mark.parametrize(
    ("nodes", "path", "fragment"),
    [
        ([], "", "at least one"),
        ([{"label": "Q1"}], "1", "needs its points"),
        ([{"label": "Q1", "points": 0}], "1", "above 0"),
        ([{"label": "Q1", "points": -2}], "1", "above 0"),
        ([{"label": "Q1", "points": "abc"}], "1", "number"),
        ([{"label": "Q1", "points": True}], "1", "number"),
        ([{"label": "Q1", "points": 1.234}], "1", "two decimals"),
        ([{"label": "", "points": 1}], "1", "label"),
        ([{"label": "E", "points": 3, "children": [{"label": "a", "points": 3}]}], "1", "takes its points"),
        (
            [{"label": "E", "children": [{"label": "a", "points": 1}, {"label": "b"}]}],
            "1.2",
            "needs its points",
        ),
        ([{"id": "x", "label": "a", "points": 1}, {"id": "x", "label": "b", "points": 1}], "2", "used twice"),
        (
            [
                {
                    "label": "a",
                    "children": [
                        {
                            "label": "b",
                            "children": [
                                {
                                    "label": "c",
                                    "children": [{"label": "d", "children": [{"label": "e", "points": 1}]}],
                                }
                            ],
                        }
                    ],
                }
            ],
            "1.1.1.1",
            "levels deep",
        ),
    ],
)
def test_bad_nodes_are_named_by_their_path(nodes, path, fragment):
    with pytest.raises(SchemeError) as raised:
        normalise_scheme(nodes)
    assert raised.value.path == path
    assert fragment in raised.value.message
