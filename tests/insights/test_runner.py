"""The kind → runner table: every kind of query a caller may send has a runner, and only those."""

from __future__ import annotations

from waypost.insights.queries import KINDS
from waypost.insights.runner import RUNNERS


def test_every_kind_of_query_has_one_runner() -> None:
    assert sorted(RUNNERS) == sorted(KINDS)


def test_each_runner_answers_with_a_result_of_its_kind() -> None:
    for kind, runner in RUNNERS.items():
        assert runner.result.model_fields["kind"].default == kind
