"""Which session a recorder stores into: session=, else the one made last, else none."""

from __future__ import annotations

import pytest

from spyglass.adapters.custom import TruCustomApp, instrument
from spyglass.core import FeedbackMode, TruSession
from spyglass.core.sinks import current_store, set_current_store


class Tiny:
    @instrument
    def run(self, text: str) -> str:
        return text[::-1]


def _names(session: TruSession) -> set[str]:
    session.flush(10)
    return {app["app_name"] for app in session.get_apps()}


def test_session_argument_wins_over_the_last_made(tmp_path) -> None:
    """A recorder given session= stores there; one given nothing uses the session made last;
    with no session at all nothing is stored and deferred mode is refused."""
    first = TruSession(database_url=f"sqlite:///{tmp_path / 'first.sqlite'}")
    second = TruSession(database_url=f"sqlite:///{tmp_path / 'second.sqlite'}")
    try:
        assert second is current_store()
        tiny = Tiny()
        with TruCustomApp(tiny, app_name="explicit", session=first):
            tiny.run("abc")
        with TruCustomApp(tiny, app_name="implicit"):
            tiny.run("abc")
        assert {"explicit"} == _names(first)
        assert {"implicit"} == _names(second)
        assert 1 == len(first.get_records())

        set_current_store(None)
        with TruCustomApp(tiny, app_name="unstored") as recording:
            tiny.run("abc")
        assert "cba" == recording.get().main_output
        assert {"explicit"} == _names(first) and {"implicit"} == _names(second)
        with pytest.raises(ValueError, match="TruSession"):
            TruCustomApp(tiny, feedback_mode=FeedbackMode.DEFERRED)
    finally:
        first.close()
        second.close()
        set_current_store(None)


def test_closing_the_current_session_unsets_it(sqlite_url: str) -> None:
    """After close(), recorders no longer store into the closed session."""
    session = TruSession(database_url=sqlite_url)
    session.close()
    assert current_store() is None
