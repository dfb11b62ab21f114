"""A provider-based feedback is stored in a FeedbackDefinition without any key, and a
fresh process that loads it (credentials from its environment) gives the same score."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import _custom_provider as custom
import pytest

from spyglass.core import Feedback, FeedbackDefinition, FeedbackResultStatus
from spyglass.providers.openai import OpenAI

API_KEY = "sk-test-never-stored-0123456789"
SOURCE = {"__record__": {"main_input": "What is the capital of France?", "main_output": "Paris"}}

_CHILD = r"""
import json, sys
from spyglass.core import FeedbackDefinition
loaded = FeedbackDefinition.load(json.loads(sys.stdin.read()))
result = loaded.run(source_data=%r)
print(json.dumps({"status": result.status.value, "result": result.result,
                  "error": result.error, "class": type(loaded.imp.__self__).__name__,
                  "tokens": result.cost.n_tokens}))
"""


def test_stored_provider_feedback_runs_in_a_fresh_process(
    judge_server: Any, make_judge: Any
) -> None:
    provider = make_judge(model_engine="gpt-4o-mini", api_key=API_KEY, max_concurrency=3)
    feedback = Feedback(provider.relevance_with_cot_reasons).on_input_output()
    here = feedback.run(source_data=SOURCE)
    stored = json.dumps(feedback.model_dump(mode="json"))

    assert API_KEY not in stored and "api_key" not in stored
    bindings = feedback.model_dump()["implementation"]["obj"]["init_bindings"]["kwargs"]
    assert ("gpt-4o-mini", judge_server.base_url, 3) == (
        bindings["model_engine"],
        bindings["base_url"],
        bindings["max_concurrency"],
    )

    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["OPENAI_API_KEY"] = API_KEY  # the fresh process's credentials
    child = subprocess.run(
        [sys.executable, "-c", _CHILD % (SOURCE,)],
        input=stored,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert 0 == child.returncode, child.stderr
    there = json.loads(child.stdout.strip().splitlines()[-1])
    assert {"status": "done", "result": here.result, "error": None, "class": "OpenAI"} == {
        k: there[k] for k in ("status", "result", "error", "class")
    }
    assert there["tokens"] > 0
    assert judge_server.bodies[-1]["model"] == "gpt-4o-mini"


def test_loaded_without_a_key_fails_the_feedback_not_the_load(
    judge_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without credentials in the environment, loading works and running says what is
    missing."""
    provider = OpenAI(base_url=judge_server.base_url, api_key=API_KEY)
    stored = json.dumps(Feedback(provider.relevance).on_input_output().model_dump(mode="json"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = FeedbackDefinition.load(json.loads(stored)).run(source_data=SOURCE)
    assert FeedbackResultStatus.FAILED == result.status and "OPENAI_API_KEY" in result.error
    assert 0 == judge_server.requests


def test_a_user_provider_round_trips() -> None:
    """A Provider subclass's fields are its stored settings."""
    data = Feedback(custom.Lengths(limit=3).short_enough).on_output().model_dump()
    loaded = FeedbackDefinition.load(data, allowed_modules=["_custom_provider"])
    result = loaded.run(source_data=SOURCE)
    assert (FeedbackResultStatus.DONE, 3 / 5) == (result.status, result.result)


def test_a_provider_holding_a_secret_field_is_stored_without_it() -> None:
    """A secret in a field is never stored: the method is recorded without the object's
    arguments, so it cannot be rebuilt elsewhere (and says so) rather than leak."""
    feedback = Feedback(custom.Keyed(api_key="sk-secret-value").score).on_output()
    stored = json.dumps(feedback.model_dump(mode="json"))
    assert "sk-secret-value" not in stored
    loaded = FeedbackDefinition.load(json.loads(stored), allowed_modules=["_custom_provider"])
    result = loaded.run(source_data=SOURCE)
    assert FeedbackResultStatus.FAILED == result.status and "loadable" in result.error


_ID_CHILD = r"""
from spyglass.core import Feedback
from spyglass.providers.huggingface import Dummy
print(Feedback(Dummy().relevance, name="rel").on_input_output().feedback_definition_id)
"""


def test_a_provider_feedback_has_the_same_id_in_every_process() -> None:
    """The id hashes the provider's class and settings, not its id(): a deferred worker
    or a second run of the app finds the stored definition under the same id."""
    ids = {
        subprocess.run(
            [sys.executable, "-c", _ID_CHILD], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    (only,) = ids
    assert only.startswith("feedback_definition_hash_")
