#!/usr/bin/env python3
"""DuckDB peer of the Yieldline scale benchmark (run by `yieldline-bench`).

    import_peers.py duckdb-import EVENTS.csv DB.duckdb   # CREATE TABLE events AS SELECT * FROM read_csv(...)
    import_peers.py duckdb-query DB.duckdb                # per-station counts and yields

Each prints one JSON object on stdout: `engine_s` is the time DuckDB spent (connect +
statement + fetch), measured inside this process, so it excludes the interpreter's start
and `import duckdb`; the bench measures the whole process too. The columns are typed
explicitly like Yieldline's event fields (ts as TIMESTAMPTZ, resume_on as DATE,
cost_minutes as DOUBLE), so DuckDB parses what Yieldline parses.
"""

import json
import sys
import time

COLUMNS = {
    "event_id": "VARCHAR",
    "ts": "TIMESTAMPTZ",
    "unit_id": "VARCHAR",
    "account_id": "VARCHAR",
    "station": "VARCHAR",
    "kind": "VARCHAR",
    "reason": "VARCHAR",
    "resume_on": "DATE",
    "referral_unit_id": "VARCHAR",
    "channel": "VARCHAR",
    "operator_id": "VARCHAR",
    "operator_kind": "VARCHAR",
    "arm": "VARCHAR",
    "cost_minutes": "DOUBLE",
}

# The same query the sqlite3 peer runs (bench: src/peers.rs) and that Yieldline's report
# answers in its `stations[]` counts: every event is inside the report's default period.
QUERY = """
SELECT station,
       count(*) FILTER (WHERE kind = 'entered')  AS entered,
       count(*) FILTER (WHERE kind = 'passed')   AS passed,
       count(*) FILTER (WHERE kind = 'failed')   AS failed,
       count(*) FILTER (WHERE kind = 'recycled') AS recycled,
       count(*) FILTER (WHERE kind IN ('passed', 'failed', 'recycled')) AS dispositions,
       count(*) FILTER (WHERE kind = 'passed')
         / nullif(count(*) FILTER (WHERE kind IN ('passed', 'failed', 'recycled')), 0) AS yield
FROM events
GROUP BY station
ORDER BY station
"""


def main() -> int:
    import duckdb  # imported here so the usage message works without it

    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "duckdb-import" and len(sys.argv) == 4:
        csv_path, db = sys.argv[2], sys.argv[3]
        t = time.perf_counter()
        con = duckdb.connect(db)
        cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items()) + "}"
        con.execute(
            f"CREATE TABLE events AS SELECT * FROM read_csv(?, header = true, columns = {cols})",
            [csv_path],
        )
        n = con.execute("SELECT count(*) FROM events").fetchone()[0]
        con.close()
        out = {"engine_s": time.perf_counter() - t, "rows": n, "duckdb": duckdb.__version__}
    elif cmd == "duckdb-query" and len(sys.argv) == 3:
        db = sys.argv[2]
        t = time.perf_counter()
        con = duckdb.connect(db, read_only=True)
        rows = con.execute(QUERY).fetchall()
        con.close()
        elapsed = time.perf_counter() - t
        out = {
            "engine_s": elapsed,
            "stations": [
                {
                    "id": r[0],
                    "entered": r[1],
                    "passed": r[2],
                    "failed": r[3],
                    "recycled": r[4],
                    "dispositions": r[5],
                    "yield": r[6],
                }
                for r in rows
            ],
        }
    else:
        print(__doc__, file=sys.stderr)
        return 2
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
