"""Fixtures that give the store tests one token store of each kind."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_astorage.stores import MemoryTokenStore
from flask_astorage.stores import SessionTokenStore
from flask_astorage.stores import SQLiteTokenStore
from flask_astorage.stores import TokenStore


@pytest.fixture
def app() -> Flask:
    """A bare application, enough for the session store's cookie."""
    app = Flask(__name__)
    app.secret_key = "store-tests-secret"
    return app


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    """A SQLite file whose folder does not exist yet, as on a first start."""
    return tmp_path / "instance" / "astorage-tokens.sqlite3"


@pytest.fixture
def run_sql(sqlite_path: Path) -> Callable[..., list[Any]]:
    """Run one statement on the SQLite file, as another program would.

    Tests use it to plant rows that the store's API cannot write, such as a
    corrupt token or a crashed process's lease, and to look at the tables.
    """

    def run(statement: str, *parameters: Any) -> list[Any]:
        with closing(sqlite3.connect(sqlite_path)) as connection, connection:
            return connection.execute(statement, parameters).fetchall()

    return run


@pytest.fixture(params=["memory", "sqlite", "session"])
def token_store(
    request: pytest.FixtureRequest, app: Flask, sqlite_path: Path
) -> Iterator[TokenStore]:
    """Each kind of store in turn, ready to use from the test's thread.

    The session store reads the cookie of the current request, so the test
    runs inside a request context.
    """
    if request.param == "memory":
        yield MemoryTokenStore()
    elif request.param == "sqlite":
        yield SQLiteTokenStore(sqlite_path)
    else:
        with app.test_request_context():
            yield SessionTokenStore()
