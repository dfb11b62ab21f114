"""The ``spyglass`` command: dashboard, evaluator workers, records, leaderboard, database.

Usage (a shell)::

    spyglass records --json
    spyglass records show RECORD_ID
    spyglass leaderboard
    spyglass dashboard --port 8484
    spyglass evaluate --workers 4 --allow-module mypkg.feedbacks
    spyglass db upgrade | info | reset --yes
    spyglass export --format jsonl -o records.jsonl
    spyglass instrumented mypkg.app:rag_chain

Every command takes ``--database-url`` (default ``SPYGLASS_DATABASE_URL``, else the
``TruSession`` default). Exit codes: 0 done, 1 failed, 2 wrong command line, 3 not
found, 130 interrupted.
"""

from __future__ import annotations

from ._commands import app, main

__all__ = ["app", "main"]
