"""Import 20,000 units with owners through the product's import (per-row validation on, ID numbers
checked, encrypted and blind-indexed) and compare with a raw SQLAlchemy Core ``executemany`` of the
same rows into the same tables, measured in the same run. Goal (issue 3): within 3× of raw.

    python bench/import_units.py            # 20,000 units (about half a minute on SQLite)
    python bench/import_units.py --units 2000
    JIAYUAN_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/import_units.py
      (PostgreSQL: a scratch database is created next to the one named, and dropped)
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
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

GOAL = 3.0
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def resident_id(rng: random.Random, n: int) -> str:
    """A valid 18-digit resident ID (own check-digit code: the baseline shares nothing with core)."""
    body = f"{rng.choice(['110101', '310104', '510107'])}{rng.randint(1950, 2000)}{rng.randint(1, 12):02d}" \
           f"{rng.randint(1, 28):02d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True)) % 11]


def make_rows(count: int) -> list[list]:
    rng = random.Random(2026)
    header = ["楼栋", "房号", "楼层", "建筑面积", "建筑面积来源", "专有部分面积", "专有部分面积来源", "用途", "销售状态",
              "业主姓名", "业主电话", "业主证件类型", "业主证件号码"]
    rows, seen_ids = [header], set()
    per_building = 400
    for i in range(count):
        b, k = divmod(i, per_building)
        floor, pos = divmod(k, 4)
        number = resident_id(rng, i)
        while number in seen_ids:
            number = resident_id(rng, rng.randint(0, 999))
        seen_ids.add(number)
        area = rng.choice([89.5, 102.75, 120.5, 143.8])
        rows.append([f"{b + 1}栋", f"{floor + 1}{pos + 1:02d}", floor + 1, area, "不动产登记",
                     round(area * 0.78, 2), "测绘", "住宅", "已交付",
                     rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)), f"139{i:08d}", "居民身份证", number])
    return rows


def fresh_database(base_url: str | None, tmp: Path, name: str) -> tuple[str, callable]:
    if not base_url or not base_url.startswith("postgresql"):
        return f"sqlite:///{tmp / (name + '.db')}", (lambda: None)
    url = make_url(base_url)
    db_name = f"jy_bench_{name}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=db_name).render_as_string(hide_password=False), drop


def make_app(url: str, instance: Path):
    from core.app import create_app
    from core.migrate import upgrade_all

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance), "TESTING": True})
    upgrade_all(app)
    return app


def seed_community(app) -> int:
    from core.database import db
    from core.places.models import Area, Community, Organisation, OrgKind, StreetOffice

    with app.app_context():
        street = StreetOffice(name="基准街道")
        db.session.add(street)
        db.session.flush()
        area = Area(street_office_id=street.id, name="基准社区")
        company = Organisation(kind=OrgKind.property_company, name="基准物业")
        db.session.add_all([area, company])
        db.session.flush()
        community = Community(area_id=area.id, name="基准小区", company_id=company.id)
        db.session.add(community)
        db.session.commit()
        return community.id


def run_product(app, community_id: int, table: list[list]) -> tuple[float, float]:
    from core.database import db
    from core.imports import services
    from core.places.models import Community

    with app.test_request_context():
        community = db.session.get(Community, community_id)
        start, cpu = time.perf_counter(), time.process_time()
        rows, problems = services.check_rows(table)
        assert not problems, problems[:5]
        result = services.apply(None, community, rows)
        db.session.commit()
        elapsed = time.perf_counter() - start, time.process_time() - cpu
        assert result.new_units == len(table) - 1, result.summary()
    return elapsed


def run_baseline(url: str, community_id: int, area_id: int, table: list[list]) -> tuple[float, float]:
    """The floor: the same rows (with a keyed index of each ID number, like the product's unique blind
    index) written with plain Core executemany: no checks, no encryption."""
    engine = create_engine(url)
    start, cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        names = sorted({r[0] for r in table[1:]})
        conn.execute(text("INSERT INTO buildings (area_id, community_id, name, created_at, updated_at) "
                          "VALUES (:a, :c, :n, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                     [{"a": area_id, "c": community_id, "n": n} for n in names])
        bids = dict(conn.execute(text("SELECT name, id FROM buildings WHERE community_id = :c"), {"c": community_id}).all())
        conn.execute(text(
            "INSERT INTO units (area_id, community_id, building_id, number, floor, building_area, "
            "building_area_source, exclusive_area, exclusive_area_source, use, sale_status, created_at, updated_at) "
            "VALUES (:a, :c, :b, :n, :f, :ba, 'register', :ea, 'survey', 'residential', 'delivered', "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            [{"a": area_id, "c": community_id, "b": bids[r[0]], "n": r[1], "f": r[2], "ba": int(round(r[3] * 100)),
              "ea": int(round(r[5] * 100))} for r in table[1:]])
        conn.execute(text(
            "INSERT INTO people (area_id, community_id, name, phone, nationality, id_type, id_number, "
            "id_number_index, care_consent, created_at, updated_at) VALUES (:a, :c, :n, :p, 'CHN', 'resident_id', "
            ":i, :x, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            [{"a": area_id, "c": community_id, "n": r[9], "p": r[10], "i": r[12],
              "x": hmac.new(b"bench", r[12].encode(), hashlib.sha256).hexdigest()} for r in table[1:]])
        uids = {(b, n): i for i, b, n in conn.execute(
            text("SELECT id, building_id, number FROM units WHERE community_id = :c"), {"c": community_id})}
        pids = dict(conn.execute(text("SELECT id_number, id FROM people WHERE community_id = :c"),
                                 {"c": community_id}).all())
        conn.execute(text(
            "INSERT INTO ownerships (area_id, community_id, unit_id, person_id, share, is_voting_representative, "
            "created_at, updated_at) VALUES (:a, :c, :u, :p, 1, true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            [{"a": area_id, "c": community_id, "u": uids[(bids[r[0]], r[1])], "p": pids[r[12]]} for r in table[1:]])
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    return elapsed


def one_round(base: str | None, table: list[list]) -> tuple[tuple, tuple]:
    """Both imports once, each into a fresh database: ((raw wall, cpu), (product wall, cpu))."""
    from core.database import db as handle

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        raw_url, drop_raw = fresh_database(base, tmp, "raw")
        product_url, drop_product = fresh_database(base, tmp, "product")
        try:
            raw_app = make_app(raw_url, tmp)
            raw_cid = seed_community(raw_app)
            with raw_app.app_context():
                area_id = handle.session.execute(text("SELECT area_id FROM communities WHERE id = :i"),
                                                 {"i": raw_cid}).scalar()
                handle.session.remove()
                handle.engine.dispose()
            product_app = make_app(product_url, tmp)
            product_cid = seed_community(product_app)
            raw = run_baseline(raw_url, raw_cid, area_id, table)
            product = run_product(product_app, product_cid, table)
            with product_app.app_context():
                handle.engine.dispose()
        finally:
            drop_raw()
            drop_product()
    return raw, product


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2, help="Best of this many rounds (shared machines are noisy).")
    args = parser.parse_args()
    base = os.environ.get("JIAYUAN_DATABASE_URL")
    table = make_rows(args.units)
    results = [one_round(base, table) for _ in range(args.rounds)]
    raw = min(r[0][0] for r in results), min(r[0][1] for r in results)
    product = min(r[1][0] for r in results), min(r[1][1] for r in results)
    n = args.units
    ratio, cpu_ratio = product[0] / raw[0], product[1] / raw[1]
    backend = "PostgreSQL" if base and base.startswith("postgresql") else "SQLite"
    print(f"import_units on {backend}: {n} units with owners, best of {args.rounds}")
    print(f"  raw Core executemany : {raw[0]:6.2f} s  {n / raw[0]:8.0f} rows/s   (cpu {raw[1]:5.2f} s)")
    print(f"  product import       : {product[0]:6.2f} s  {n / product[0]:8.0f} rows/s   (cpu {product[1]:5.2f} s)"
          "  validated, encrypted, indexed")
    print(f"  ratio product/raw    : {ratio:.2f}x wall, {cpu_ratio:.2f}x cpu of this process")
    print(f"  goal <= {GOAL:.0f}x (wall): {'MET' if ratio <= GOAL else 'NOT MET'}")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
