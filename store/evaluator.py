"""Evaluator workers in their own process: ``python -m spyglass.store.evaluator``.

Runs ``--workers`` worker threads on the pending feedback results of a database,
alongside any number of other evaluators in other processes or on other machines
(PostgreSQL's ``FOR UPDATE SKIP LOCKED`` claims make each result evaluated once)::

    python -m spyglass.store.evaluator --database-url postgresql+psycopg://u:pw@db/app \\
        --workers 4 --allow-module mypkg.feedbacks

Implementations are loaded from the stored definitions; only modules under
``spyglass`` and those given with ``--allow-module`` are imported. Stop it with
SIGINT or SIGTERM (each worker finishes the result it is evaluating), or pass
``--exit-when-idle`` to stop once nothing is pending.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from ._deps import sqlalchemy as sa
from ._engine import create_engine, explain, parse_url
from ._errors import StoreError
from ._migrate import ensure_schema
from ._tables import tables
from ._workers import MAX_ATTEMPTS, Worker, WorkerPool

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m spyglass.store.evaluator",
        description="Evaluate pending (deferred) feedback results of a spyglass database.",
    )
    parser.add_argument("--database-url", required=True, help="SQLAlchemy URL of the database")
    parser.add_argument("--database-prefix", default="spyglass_", help="table prefix")
    parser.add_argument("--workers", type=int, default=1, help="worker threads (default 1)")
    parser.add_argument(
        "--allow-module",
        action="append",
        default=[],
        metavar="MODULE",
        help="module prefix feedback implementations may be imported from (repeatable)",
    )
    parser.add_argument("--lease-seconds", type=float, default=60.0, help="claim lease")
    parser.add_argument("--max-attempts", type=int, default=MAX_ATTEMPTS)
    parser.add_argument(
        "--exit-when-idle", action="store_true", help="stop once nothing is pending"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluator; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        url = parse_url(args.database_url)
        engine = create_engine(url)
    except StoreError as exc:
        print(f"spyglass evaluator: {exc}", file=sys.stderr)
        return 2
    try:
        ensure_schema(engine, url, args.database_prefix)
    except (StoreError, sa.exc.SQLAlchemyError) as exc:
        error = explain(exc, url) if isinstance(exc, sa.exc.SQLAlchemyError) else exc
        print(f"spyglass evaluator: {error}", file=sys.stderr)
        engine.dispose()
        return 2
    pool = WorkerPool(
        [
            Worker(
                engine,
                tables(args.database_prefix),
                lease_seconds=args.lease_seconds,
                allowed_modules=args.allow_module,
                max_attempts=args.max_attempts,
            )
            for _ in range(max(1, args.workers))
        ],
        exit_when_idle=args.exit_when_idle,
    )

    def _stop(signum: int, _frame: Any) -> None:
        pool.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    pool.start()
    while not pool.join(0.5):
        pass
    pool.close()
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
