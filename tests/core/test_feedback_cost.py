"""Feedback implementations report what their calls cost; the result holds the sum."""

from __future__ import annotations

from spyglass.core import (
    ContextThreadPoolExecutor,
    Cost,
    Feedback,
    FeedbackResultStatus,
    report_cost,
)

ONE = Cost.one_completion(10, 2, 12)


def judged_twice(text: str) -> float:
    report_cost(ONE)
    report_cost(ONE)
    return 1.0


def judged_in_threads(text: str) -> float:
    with ContextThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: report_cost(ONE), range(3)))
    return 1.0


def judged_then_failed(text: str) -> float:
    report_cost(ONE)
    raise RuntimeError("the judge's answer was unreadable")


def test_reported_costs_add_up_on_the_result() -> None:
    result = Feedback(judged_twice).run(text="a")
    assert (2, 24, 20) == (
        result.cost.n_requests,
        result.cost.n_tokens,
        result.cost.n_prompt_tokens,
    )


def test_each_combination_adds_its_costs() -> None:
    many = Feedback(judged_twice).on(text="xs[:]").run(source_data={"xs": ["a", "b", "c"]})
    assert 6 == many.cost.n_requests


def test_costs_reported_in_context_copying_threads_count() -> None:
    assert 3 == Feedback(judged_in_threads).run(text="a").cost.n_requests


def test_a_failed_evaluation_keeps_what_it_cost() -> None:
    result = Feedback(judged_then_failed).run(text="a")
    assert (FeedbackResultStatus.FAILED, 12) == (result.status, result.cost.n_tokens)


def test_a_report_outside_an_evaluation_is_ignored() -> None:
    report_cost(ONE)  # nothing to add it to: no error, no effect
    assert 0 == Feedback(lambda text: 1.0).run(text="a").cost.n_requests
