"""Billing-run benchmark: confirm a quarterly run for N units, against a raw Core executemany of the
same bill rows, then an idempotent rerun.

    python bench/billing_run.py                 # 10,000 units on SQLite (quick)
    python bench/billing_run.py --full          # 100,000 units
    python bench/billing_run.py --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres --full
    python bench/billing_run.py --rounds 1      # one baseline and one run instead of three of each

Goals (issue 5): first run within 1.5x the executemany floor; the rerun at most 0.2x the first run.
Each round writes the baseline rows and runs the product on fresh periods; the best time of each
is compared and every round's ratio is printed, since a shared machine only ever adds time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


def _database(url: str | None):
    if not url:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        return f"sqlite:///{path}", None
    base = make_url(url)
    name = f"jy_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return base.set(database=name).render_as_string(hide_password=False), (admin, name)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=10_000)
    ap.add_argument("--full", action="store_true", help="100,000 units")
    ap.add_argument("--url", default=os.environ.get("JIAYUAN_BENCH_DATABASE_URL"))
    ap.add_argument("--rounds", type=int, default=3, choices=range(1, 5), help="baseline/product rounds (1-4)")
    args = ap.parse_args()
    n = 100_000 if args.full else args.units
    url, cleanup = _database(args.url)
    os.environ.setdefault("JIAYUAN_INSTANCE_PATH", tempfile.mkdtemp())
    from core import create_app, db
    from core.migrate import upgrade_all

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    upgrade_all(app)
    try:
        with app.app_context():
            return _bench(app, db, n, args.rounds)
    finally:
        if cleanup:
            with app.app_context():
                db.engine.dispose()
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _bench(app, db, n: int, rounds: int) -> int:
    import core
    from core.places.models import StreetOffice
    from plugins.fees import services as svc
    from plugins.fees.models import Bill, BillLine, FeeItem

    db.session.info["audit"] = False
    so = StreetOffice(name="bench")
    db.session.add(so)
    db.session.flush()
    area = core.Area(street_office_id=so.id, name="bench")
    db.session.add(area)
    db.session.flush()
    c = core.Community(area_id=area.id, name="bench")
    db.session.add(c)
    db.session.flush()
    b = core.Building(area_id=area.id, community_id=c.id, name="1")
    db.session.add(b)
    db.session.flush()
    now = core.utcnow()
    stamp = {"created_at": now, "updated_at": now}
    db.session.execute(insert(core.Unit), [
        {"area_id": area.id, "community_id": c.id, "building_id": b.id, "number": str(i),
         "building_area": Decimal(80) + Decimal(i % 9000) / 100, "exclusive_area": Decimal(70), "use": "residential",
         "sale_status": "sold", **stamp} for i in range(n)])
    db.session.execute(insert(core.Person), [{"name": f"p{i}", "nationality": "CHN", "care_consent": False, **stamp}
                                            for i in range(n)])
    unit_ids = [r[0] for r in db.session.execute(text("SELECT id FROM units ORDER BY id"))]
    person_ids = [r[0] for r in db.session.execute(text("SELECT id FROM people ORDER BY id"))]
    db.session.execute(insert(core.Ownership), [
        {"area_id": area.id, "community_id": c.id, "unit_id": u, "person_id": p, "share": 1,
         "is_voting_representative": True, "start_date": dt.date(2020, 1, 1), **stamp}
        for u, p in zip(unit_ids, person_ids, strict=True)])
    svc.create_item(None, c, {"code": "SVC", "name": "服务费", "kind": "service", "rate": "2.50",
                              "effective_from": dt.date(2026, 1, 1)})
    svc.publish_price_notice(None, c, dt.date(2026, 1, 1))
    db.session.commit()
    item_id = db.session.scalar(db.select(FeeItem.id))
    areas = dict(db.session.execute(db.select(core.Unit.id, core.Unit.building_area)).all())

    first_runs, reruns, floors = [], [], []
    # Rounds alternate the baseline and the product, each on a period of its own, so both meet the
    # same load on a shared machine; the best of each is compared (noise only ever adds time).
    for r in range(rounds):
        floors.append(_baseline(db, svc, Bill, BillLine, area, c, item_id, unit_ids, person_ids, areas, stamp, now,
                                BASELINE_PERIODS[r]))
        period = PRODUCT_PERIODS[r]
        run = svc.preview_run(None, c, period)
        db.session.commit()
        t0 = time.perf_counter()
        result = svc.confirm_run(None, run, c, on_chunk=db.session.commit)
        db.session.commit()
        first_runs.append(time.perf_counter() - t0)
        assert result["lines"] == n, result

        run2 = svc.preview_run(None, c, period)
        db.session.commit()
        t0 = time.perf_counter()
        again = svc.confirm_run(None, run2, c, on_chunk=db.session.commit)
        db.session.commit()
        reruns.append(time.perf_counter() - t0)
        assert again == {"bills": 0, "lines": 0}, again

    floor, first, rerun = min(floors), min(first_runs), min(reruns)
    ratio, rerun_ratio = first / floor, rerun / first
    spread = ", ".join(f"{f / b:.2f}x" for f, b in zip(first_runs, floors, strict=True))
    print(f"database: {db.engine.dialect.name}, units: {n:,}, rounds: {rounds} (best of each shown)")
    print(f"baseline executemany of the same rows: {floor:.2f}s  (all: {', '.join(f'{x:.2f}' for x in floors)})")
    print(f"billing run (confirm):                 {first:.2f}s  ratio {ratio:.2f}x  goal <= 1.5x: "
          f"{'MET' if ratio <= 1.5 else 'NOT MET'}  (all: {', '.join(f'{x:.2f}' for x in first_runs)}; "
          f"round by round {spread})")
    print(f"idempotent rerun:                      {rerun:.2f}s  ratio {rerun_ratio:.2f}x of the first run  "
          f"goal <= 0.2x: {'MET' if rerun_ratio <= 0.2 else 'NOT MET'}  "
          f"(all: {', '.join(f'{x:.2f}' for x in reruns)})")
    return 0


BASELINE_PERIODS = ["2025-Q4", "2025-Q3", "2025-Q2", "2025-Q1"]
PRODUCT_PERIODS = ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def _baseline(db, svc, Bill, BillLine, area, c, item_id, unit_ids, person_ids, areas, stamp, now, period) -> float:
    """The same bill and line rows as a quarterly run, prepared in advance, written with one Core
    executemany each. They go into the same tables under a period of their own and stay there
    (deleting them would time the foreign-key checks of a DELETE, not the write)."""
    year, quarter = int(period[:4]), int(period[-1])
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1) - dt.timedelta(days=1)
    base = 10_000_000 * (1 + BASELINE_PERIODS.index(period))
    bills, lines = [], []
    for i, (u, p) in enumerate(zip(unit_ids, person_ids, strict=True), 1):
        amount = svc.fen(areas[u] * Decimal("2.50") * 3)
        bills.append({"id": base + i, "area_id": area.id, "community_id": c.id, "unit_id": u, "kind": "periodic",
                      "period": period, "payer_key": f"p:{p}", "payer_person_id": p, "payer_name": f"p{i}",
                      "total": amount, "paid": Decimal(0), "due_date": start + dt.timedelta(days=30),
                      "issued_at": now, **stamp})
        lines.append({"area_id": area.id, "community_id": c.id, "bill_id": base + i, "unit_id": u,
                      "item_id": item_id, "period": period, "payer_key": f"p:{p}", "quantity": areas[u],
                      "rate": Decimal("2.5"), "base_amount": amount, "adjustment": Decimal(0), "amount": amount,
                      "start_date": start, "end_date": end,
                      "calculation": f"{areas[u]} m² × 2.50 元/m²/月 × 3 月 = {amount}", **stamp})
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(insert(Bill.__table__), bills)
        conn.execute(insert(BillLine.__table__), lines)
    return time.perf_counter() - t0


if __name__ == "__main__":
    raise SystemExit(main())
