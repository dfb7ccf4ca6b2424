"""The floor for ``bench_survey.py``: the cheapest Flask app that does what the survey does.

``GET /hello`` answers a constant string; ``POST /insert`` stores one row with one INSERT and a
commit, as the application role. Served by gunicorn with the platform's own config file, so the
two measurements differ only in what the platform does on top of Flask and PostgreSQL.

    gunicorn -c config/gunicorn.py --pythonpath tests/bench floor_app:app
"""

from __future__ import annotations

import os

import psycopg2
from flask import Flask, request
from psycopg2.extensions import connection as Connection

app = Flask(__name__)

# One connection per worker process: a sync worker serves one request at a time. Opened lazily,
# after gunicorn has forked, so no connection is ever shared between processes.
_state: dict[str, Connection] = {}


def _connection() -> Connection:
    conn = _state.get("conn")
    if conn is None or conn.closed:
        conn = psycopg2.connect(os.environ["DATABASE_URL"])
        _state["conn"] = conn
    return conn


@app.get("/hello")
def hello() -> str:
    return "hello"


@app.post("/insert")
def insert() -> tuple[str, int]:
    conn = _connection()
    try:
        with conn.cursor() as cur:
            cur.execute("INSERT INTO bench_floor (v) VALUES (%s)", (request.form.get("v", ""),))
        conn.commit()
    except psycopg2.Error:
        conn.rollback()
        raise
    return "ok", 201
