"""Benchmark: the quality dashboard against hand-written aggregate SQL on the same tickets.

    python bench/dashboard.py            # 100,000 tickets on SQLite and PostgreSQL (about a minute)
    python bench/dashboard.py --full     # 1,000,000 tickets (the issue's scale)
    python bench/dashboard.py --rows 300000 --only sqlite

Builds the tickets with a bulk insert (Core executemany), then times the dashboard of the busiest
community over a year (figures + monthly trend, product code) and the same figures computed by
hand-written SQL sharing nothing with the product (best of several interleaved runs each). Prints
both times, the ratio and whether it meets the goal (product within 1.3× of the hand-written SQL),
and checks that both give the same numbers. PostgreSQL: a database of its own is created and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

GOAL = 1.3
PG_URL = os.environ.get("JIAYUAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CODES = [("repair_unit", "repair"), ("repair_common", "repair"), ("emergency", "repair"),
         ("complaint", "enquiry"), ("enquiry", "enquiry")]
STATUSES = ["submitted", "accepted", "assigned", "in_progress", "resolved", "closed", "closed", "closed"]


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def build(app, rows: int, seed: int = 7) -> tuple[int, dict]:
    """Register rows plus ``rows`` tickets; returns the busiest community's id."""
    from core.database import db
    from core.places.models import Area, Building, Community, StreetOffice
    from core.tickets.models import Ticket, TicketCategory

    rnd = random.Random(seed)
    with app.app_context():
        so = StreetOffice(name=f"bench-{uuid.uuid4().hex[:6]}")
        db.session.add(so)
        db.session.flush()
        area = Area(street_office_id=so.id, name="bench area")
        db.session.add(area)
        db.session.flush()
        communities = [Community(area_id=area.id, name=f"bench {i}") for i in range(3)]
        db.session.add_all(communities)
        db.session.flush()
        buildings, cats = {}, {}
        for c in communities:
            bs = [Building(area_id=area.id, community_id=c.id, name=f"{n}栋") for n in range(1, 21)]
            cs = [TicketCategory(area_id=area.id, community_id=c.id, code=code, name=code, workflow=wf, procedure=[])
                  for code, wf in CODES]
            db.session.add_all(bs + cs)
            db.session.flush()
            buildings[c.id] = [b.id for b in bs]
            cats[c.id] = [(cat.id, cat.code) for cat in cs]
        db.session.commit()
        ids = [c.id for c in communities]
        weights = [0.7, 0.2, 0.1]
        table = Ticket.__table__
        columns = ["area_id", "community_id", "building_id", "category_id", "number", "workflow", "status",
                   "priority", "title", "description", "channel", "around_the_clock", "opened_at", "created_at",
                   "updated_at", "response_due_at", "arrival_due_at", "resolution_due_at", "responded_at",
                   "arrived_at", "resolved_at", "cancelled_at", "paused_minutes", "response_breached",
                   "arrival_breached", "resolution_breached", "is_repeat", "reopened_count", "rating_score",
                   "callback_done", "steps_done", "details"]
        dialect = db.engine.dialect.name
        if dialect == "sqlite":  # the text form SQLAlchemy stores for UTCDateTime on SQLite
            def stamp(value):  # whole minutes, so the microseconds are always zero
                return None if value is None else value.replace(tzinfo=None).isoformat(" ") + ".000000"
        else:
            def stamp(value):
                return value

        def generate():
            minute = dt.timedelta(minutes=1)
            for i in range(rows):
                cid = rnd.choices(ids, weights)[0]
                cat_id, code = rnd.choice(cats[cid])
                repair = code.startswith("repair") or code == "emergency"
                opened = END - rnd.randrange(365 * 24 * 60) * minute
                status = rnd.choice(STATUSES)
                cancelled = rnd.random() < 0.03
                responded = opened + rnd.randrange(1, 120) * minute if rnd.random() < 0.9 else None
                arrived = opened + rnd.randrange(5, 240) * minute if repair and rnd.random() < 0.7 else None
                resolved = opened + rnd.randrange(30, 10_000) * minute if status in ("resolved", "closed") else None
                rating = rnd.randint(1, 5) if resolved and rnd.random() < 0.6 else None
                yield (area.id, cid, rnd.choice(buildings[cid]), cat_id, f"B{i:09d}", "repair",
                       "cancelled" if cancelled else status, 3, "bench", "", "portal", code == "emergency",
                       stamp(opened), stamp(opened), stamp(opened), stamp(opened + 30 * minute),
                       stamp(opened + 60 * minute) if repair else None, stamp(opened + 2880 * minute),
                       stamp(responded), stamp(arrived), stamp(resolved),
                       stamp(opened + minute) if cancelled else None, 0, False, False, False,
                       rnd.random() < 0.05, 0, rating, bool(rating and rating <= 3 and rnd.random() < 0.7),
                       "[]", "{}")

        started = time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            if dialect == "postgresql":  # COPY: PostgreSQL's own bulk path
                with cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for n, row in enumerate(generate(), 1):
                        copy.write_row(row)
                        if n % 100_000 == 0:
                            print(f"\r  inserted {n:,} / {rows:,}", end="", flush=True)
            else:  # one executemany per 50,000 rows
                sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
                       f"VALUES ({', '.join('?' for _ in columns)})")
                batch = []
                for n, row in enumerate(generate(), 1):
                    batch.append(row)
                    if len(batch) == 50_000:
                        cur.executemany(sql, batch)
                        batch = []
                        print(f"\r  inserted {n:,} / {rows:,}", end="", flush=True)
                if batch:
                    cur.executemany(sql, batch)
            raw.commit()
            cur.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
        print(f"\r  inserted {rows:,} tickets in {time.perf_counter() - started:.1f} s", flush=True)
        return ids[0]


# ---------------------------------------------------------------------------------------------
# The baseline: hand-written SQL, nothing shared with core.quality
# ---------------------------------------------------------------------------------------------

SQLITE_MIN = "(julianday({x}) - julianday(opened_at)) * 1440.0"
PG_MIN = "EXTRACT(EPOCH FROM ({x} - opened_at)) / 60.0"

SLA_SQL = """
  SUM(CASE WHEN cancelled_at IS NULL AND response_due_at IS NOT NULL AND responded_at <= response_due_at
      THEN 1 ELSE 0 END) AS r_met,
  SUM(CASE WHEN cancelled_at IS NULL AND response_due_at IS NOT NULL AND (responded_at > response_due_at
      OR (responded_at IS NULL AND response_due_at < :now)) THEN 1 ELSE 0 END) AS r_missed,
  SUM(CASE WHEN cancelled_at IS NULL AND arrival_due_at IS NOT NULL AND arrived_at <= arrival_due_at
      THEN 1 ELSE 0 END) AS a_met,
  SUM(CASE WHEN cancelled_at IS NULL AND arrival_due_at IS NOT NULL AND (arrived_at > arrival_due_at
      OR (arrived_at IS NULL AND arrival_due_at < :now)) THEN 1 ELSE 0 END) AS a_missed,
  SUM(CASE WHEN cancelled_at IS NULL AND resolution_due_at IS NOT NULL AND resolved_at <= resolution_due_at
      THEN 1 ELSE 0 END) AS s_met,
  SUM(CASE WHEN cancelled_at IS NULL AND resolution_due_at IS NOT NULL AND (resolved_at > resolution_due_at
      OR (resolved_at IS NULL AND resolution_due_at < :now)) THEN 1 ELSE 0 END) AS s_missed,
  SUM(CASE WHEN cancelled_at IS NULL AND (
        (response_due_at IS NOT NULL AND (responded_at IS NOT NULL OR response_due_at < :now))
     OR (arrival_due_at IS NOT NULL AND (arrived_at IS NOT NULL OR arrival_due_at < :now))
     OR (resolution_due_at IS NOT NULL AND (resolved_at IS NOT NULL OR resolution_due_at < :now)))
      THEN 1 ELSE 0 END) AS decided,
  SUM(CASE WHEN cancelled_at IS NULL AND (
        (response_due_at IS NOT NULL AND (responded_at IS NOT NULL OR response_due_at < :now))
     OR (arrival_due_at IS NOT NULL AND (arrived_at IS NOT NULL OR arrival_due_at < :now))
     OR (resolution_due_at IS NOT NULL AND (resolved_at IS NOT NULL OR resolution_due_at < :now)))
    AND NOT (
        (response_due_at IS NOT NULL AND (responded_at > response_due_at
            OR (responded_at IS NULL AND response_due_at < :now)))
     OR (arrival_due_at IS NOT NULL AND (arrived_at > arrival_due_at
            OR (arrived_at IS NULL AND arrival_due_at < :now)))
     OR (resolution_due_at IS NOT NULL AND (resolved_at > resolution_due_at
            OR (resolved_at IS NULL AND resolution_due_at < :now))))
      THEN 1 ELSE 0 END) AS compliant,
  COUNT(rating_score) AS rated,
  SUM(CASE WHEN rating_score >= 4 THEN 1 ELSE 0 END) AS satisfied,
  AVG(rating_score) AS rating_avg,
  SUM(CASE WHEN rating_score <= 3 THEN 1 ELSE 0 END) AS cb_needed,
  SUM(CASE WHEN rating_score <= 3 AND callback_done THEN 1 ELSE 0 END) AS cb_done,
  SUM(CASE WHEN is_repeat THEN 1 ELSE 0 END) AS repeats,
  SUM(CASE WHEN c.code = 'complaint' THEN 1 ELSE 0 END) AS complaints,
  SUM(CASE WHEN c.code = 'complaint' AND is_repeat THEN 1 ELSE 0 END) AS repeat_complaints
"""

WHERE = "t.community_id = :cid AND t.opened_at >= :lo AND t.opened_at < :hi"


def hand_written(conn, dialect: str, cid: int, lo, hi, now) -> dict:
    params = {"cid": cid, "lo": lo, "hi": hi, "now": now}
    by_cat = conn.execute(text(
        "SELECT c.code, c.name, t.status, COUNT(*) FROM tickets_tickets t JOIN tickets_categories c "
        f"ON c.id = t.category_id WHERE {WHERE} GROUP BY c.code, c.name, t.status"), params).all()
    summary = conn.execute(text(
        "SELECT COUNT(*) AS tickets, SUM(CASE WHEN cancelled_at IS NULL AND resolved_at IS NULL THEN 1 ELSE 0 END),"
        f"{SLA_SQL} FROM tickets_tickets t JOIN tickets_categories c ON c.id = t.category_id WHERE {WHERE}"),
        params).one()
    month = ("strftime('%Y-%m', opened_at, '+8 hours')" if dialect == "sqlite"
             else "to_char(opened_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')")
    trend = conn.execute(text(
        f"SELECT {month} AS m, COUNT(*), SUM(CASE WHEN cancelled_at IS NULL AND resolved_at IS NULL THEN 1 ELSE 0 END),"
        f"{SLA_SQL} FROM tickets_tickets t JOIN tickets_categories c ON c.id = t.category_id WHERE {WHERE} "
        "GROUP BY m ORDER BY m"), params).all()
    pct = {}
    clocks = {"response": "responded_at", "arrival": "arrived_at", "resolution": "resolved_at"}
    if dialect == "postgresql":
        parts = []
        for col in clocks.values():
            expr = PG_MIN.format(x=col)
            parts += [f"COUNT({col})", f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expr})",
                      f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {expr})"]
        row = conn.execute(text(f"SELECT {', '.join(parts)} FROM tickets_tickets t WHERE {WHERE}"), params).one()
        for i, clock in enumerate(clocks):
            pct[clock] = (row[3 * i], row[3 * i + 1], row[3 * i + 2])
    else:
        for clock, col in clocks.items():
            expr = SQLITE_MIN.format(x=col)
            n = conn.execute(text(f"SELECT COUNT({col}) FROM tickets_tickets t WHERE {WHERE}"), params).scalar()
            values = []
            for p in (0.5, 0.9):
                pos = p * (n - 1)
                k = int(pos)
                got = [r[0] for r in conn.execute(text(
                    f"SELECT {expr} AS d FROM tickets_tickets t WHERE {WHERE} AND {col} IS NOT NULL "
                    "ORDER BY d LIMIT 2 OFFSET :k"), {**params, "k": k})]
                values.append(got[0] + ((got[1] - got[0]) * (pos - k) if len(got) > 1 else 0))
            pct[clock] = (n, *values)
    return {"by_cat": by_cat, "summary": summary, "trend": trend, "pct": pct}


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def run_backend(name: str, url: str, rows: int, repeats: int) -> tuple[float, float, bool]:
    from core.app import create_app
    from core.migrate import upgrade_all

    instance = tempfile.mkdtemp(prefix="jy-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "TESTING": True,
                      "RATELIMIT_ENABLED": False})
    upgrade_all(app)
    print(f"[{name}] building {rows:,} tickets …")
    cid = build(app, rows)
    from core.database import db
    from core.quality import dashboard as dash

    period = dash.Period(dt.date(2025, 11, 1), dt.date(2026, 10, 31))
    lo, hi = period.utc_bounds
    now = END
    product_times, base_times = [], []
    with app.app_context():
        dialect = db.engine.dialect.name
        if dialect == "sqlite":  # the stored text form of UTCDateTime on SQLite
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            blo, bhi, bnow = (v.astimezone(dt.UTC).strftime(fmt) for v in (lo, hi, now))
        else:
            blo, bhi, bnow = lo, hi, now
        def product():
            db.session.rollback()
            t = time.perf_counter()
            result = (dash.figures([cid], period, now=now), dash.trend([cid], period, now=now))
            product_times.append(time.perf_counter() - t)
            db.session.rollback()
            return result

        def baseline():
            with db.engine.connect() as conn:
                t = time.perf_counter()
                result = hand_written(conn, dialect, cid, blo, bhi, bnow)
                base_times.append(time.perf_counter() - t)
            return result

        for i in range(repeats):  # interleaved, each going first in turn, so cache and load favour neither
            if i % 2:
                base = baseline()
                figures, months = product()
            else:
                figures, months = product()
                base = baseline()
        agree = (
            figures["tickets"] == base["summary"][0]
            and figures["sla"]["overall"]["decided"] == base["summary"].decided
            and figures["sla"]["overall"]["met"] == base["summary"].compliant
            and figures["satisfaction"]["satisfied"] == base["summary"].satisfied
            and len(months) == len(base["trend"])
            and sum(c["total"] for c in figures["by_category"]) == sum(r[3] for r in base["by_cat"])
            and all(figures["times"][k]["n"] == base["pct"][k][0]
                    and abs(float(figures["times"][k]["median"]) - base["pct"][k][1]) <= 0.05
                    and abs(float(figures["times"][k]["p90"]) - base["pct"][k][2]) <= 0.05
                    for k in ("response", "arrival", "resolution"))
        )
        db.session.remove()
        db.engine.dispose()
    return min(product_times), min(base_times), agree


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="1,000,000 tickets (the issue's scale)")
    parser.add_argument("--rows", type=int, default=None, help="number of tickets (default 100,000)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)
    rows = args.rows or (1_000_000 if args.full else 100_000)
    scale = "full scale (1,000,000)" if rows == 1_000_000 else "reduced scale; --full runs 1,000,000"
    print(f"quality dashboard vs hand-written aggregate SQL: {rows:,} tickets ({scale}), goal ≤ {GOAL}×")
    results = []
    if args.only in (None, "sqlite"):
        folder = tempfile.mkdtemp(prefix="jy-bench-dash-")
        results.append(("SQLite", *run_backend("SQLite", f"sqlite:///{folder}/bench.db", rows, args.repeats)))
    if args.only in (None, "postgresql"):
        url = make_url(args.pg_url)
        name = f"jy_bench_dash_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            target = url.set(database=name).render_as_string(hide_password=False)
            results.append(("PostgreSQL", *run_backend("PostgreSQL", target, rows, args.repeats)))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    ok = True
    print()
    print(f"{'backend':<11} {'tickets':>10} {'dashboard':>11} {'hand SQL':>10} {'ratio':>7}  goal ≤{GOAL}×  same figures")
    for name, product, base, agree in results:
        ratio = product / base if base else float("inf")
        met = ratio <= GOAL
        ok = ok and met and agree
        print(f"{name:<11} {rows:>10,} {product * 1000:>9.0f}ms {base * 1000:>8.0f}ms {ratio:>6.2f}×  "
              f"{'met' if met else 'NOT MET':<9} {'yes' if agree else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
