"""What the benchmarks share: a fresh PostgreSQL database for one run."""

import psycopg


def fresh_pg_database(pg_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `pg_url`; return its URL."""
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        con.execute(f"CREATE DATABASE {name}")
    return pg_url.rsplit("/", 1)[0] + f"/{name}"
