"""The SQLite recorder's one-statement insert of a run of chain rows, both of its forms."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from domain.audit.chain import CHAIN_TABLE
from domain.persistence.sqlite import INSERT_RUN_CTE, INSERT_RUN_JSON, zeros


def chain_rows_inserted(statement: str, rows_param: object, links: bytes, first: int) -> list:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(
            f"CREATE TABLE {CHAIN_TABLE} (notification_id INTEGER PRIMARY KEY, "
            "prev_id INTEGER NOT NULL, link BLOB NOT NULL)"
        )
        conn.execute(statement, (first, 7, links, rows_param))
        return conn.execute(f"SELECT * FROM {CHAIN_TABLE} ORDER BY notification_id").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("n", [1, 2, 1000, 5001])
def test_both_forms_insert_each_link_at_its_position(n: int) -> None:
    links = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]
    blob = b"".join(links)
    first = 8  # the head was at 7
    expected = [(first + i, 7 if i == 0 else first + i - 1, links[i]) for i in range(n)]

    assert chain_rows_inserted(INSERT_RUN_JSON, zeros(n), blob, first) == expected
    assert chain_rows_inserted(INSERT_RUN_CTE, n, blob, first) == expected


def test_the_row_numbers_are_a_json_array_of_zeros() -> None:
    assert zeros(3) == "[0,0,0]" and zeros(1) == "[0]"
