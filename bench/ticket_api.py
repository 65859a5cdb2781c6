"""Benchmark: the ticket API under gunicorn (2 workers) on PostgreSQL against a minimal Flask endpoint.

    python bench/ticket_api.py                 # 2 × 5 s per endpoint, 8 concurrent clients
    python bench/ticket_api.py --seconds 30 --concurrency 16

One gunicorn server (2 sync workers, loopback only) serves the whole Jiayuan app and, mounted beside
it at /_baseline, a bare Flask app whose endpoint does one primary-key query with plain SQL. A
local load generator (processes, one connection per request) drives ``GET /api/v1/tickets/<id>``
as a manager with a bearer token, then the baseline, in alternating rounds of bounded time and
bounded request count. Prints p50/p99 latency, throughput and errors for both, the throughput
ratio, and whether it meets the goal (at least 0.5× the baseline with zero errors). A PostgreSQL
database of its own is created and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

GOAL = 0.5
HOST = "127.0.0.1"  # loopback only
PG_URL = os.environ.get("JIAYUAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

WSGI = '''
"""Served by the benchmark: the Jiayuan app, and a minimal Flask app at /_baseline."""
import os

from flask import Flask, jsonify
from sqlalchemy import create_engine, text
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from core.app import create_app

jiayuan = create_app()
baseline = Flask("baseline")
engine = create_engine(os.environ["JIAYUAN_DATABASE_URL"], pool_size=4)


@baseline.get("/tickets/<int:ticket_id>")
def one_ticket(ticket_id):
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, number, status, title FROM tickets_tickets WHERE id = :id"),
                           {"id": ticket_id}).one_or_none()
    if row is None:
        return jsonify(error="not found"), 404
    return jsonify(id=row.id, number=row.number, status=row.status, title=row.title)


app = DispatcherMiddleware(jiayuan, {"/_baseline": baseline})
'''


def seed(url: str, instance: str, tickets: int) -> tuple[list[int], str]:
    """Migrate, then a community with tickets and a manager's API token."""
    from core.app import create_app
    from core.auth.models import ScopeType
    from core.auth.services import create_account, create_token, grant
    from core.database import db
    from core.migrate import upgrade_all
    from core.places.models import Area, Building, Community, StreetOffice, Unit
    from core.tickets.models import Ticket
    from core.tickets.services import ensure_categories

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
    upgrade_all(app)
    rnd = random.Random(3)
    with app.app_context():
        so = StreetOffice(name="bench")
        db.session.add(so)
        db.session.flush()
        area = Area(street_office_id=so.id, name="bench")
        db.session.add(area)
        db.session.flush()
        community = Community(area_id=area.id, name="bench")
        db.session.add(community)
        db.session.flush()
        building = Building(area_id=area.id, community_id=community.id, name="1栋")
        db.session.add(building)
        db.session.flush()
        units = [Unit(area_id=area.id, community_id=community.id, building_id=building.id, number=f"{i:04d}")
                 for i in range(50)]
        db.session.add_all(units)
        ensure_categories(community)
        db.session.flush()
        from sqlalchemy import select

        from core.tickets.models import TicketCategory

        cats = db.session.execute(select(TicketCategory.id, TicketCategory.workflow).where(
            TicketCategory.community_id == community.id)).all()
        account = create_account("bench-manager", "bench-pass-123", "Bench", check_strength=False)
        grant(account, "manager", ScopeType.community, community.id)
        _token, plain = create_token(account, "bench")
        now = dt.datetime.now(dt.UTC)
        rows = []
        for i in range(tickets):
            cat_id, wf = rnd.choice(cats)
            opened = now - dt.timedelta(minutes=rnd.randrange(60 * 24 * 90))
            rows.append({"area_id": area.id, "community_id": community.id, "building_id": building.id,
                         "unit_id": rnd.choice(units).id, "category_id": cat_id, "number": f"BA{i:08d}",
                         "workflow": wf, "status": "submitted", "priority": 3, "title": f"工单 {i}",
                         "description": "benchmark", "channel": "portal", "opened_at": opened, "created_at": opened,
                         "updated_at": opened, "paused_minutes": 0, "steps_done": [], "details": {}})
        db.session.execute(Ticket.__table__.insert(), rows)
        db.session.commit()
        ids = list(db.session.scalars(select(Ticket.id).where(Ticket.community_id == community.id)))
        db.session.remove()
        db.engine.dispose()
    return ids, plain


def _client(args) -> tuple[list[float], int, int]:
    port, path_template, ids, headers, seconds, max_requests, seed_ = args
    rnd = random.Random(seed_)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    sent = 0
    while sent < max_requests and time.perf_counter() < deadline:
        path = path_template.format(id=rnd.choice(ids))
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=10)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            if resp.status != 200:
                errors += 1
        except OSError:
            errors += 1
        latencies.append(time.perf_counter() - started)
        sent += 1
    return latencies, errors, sent


def drive(port: int, path: str, ids, headers, seconds: float, concurrency: int, max_requests: int) -> dict:
    per_client = max(1, max_requests // concurrency)
    jobs = [(port, path, ids, headers, seconds, per_client, i) for i in range(concurrency)]
    started = time.perf_counter()
    with mp.get_context("fork").Pool(concurrency) as pool:
        results = pool.map(_client, jobs)
    elapsed = time.perf_counter() - started
    latencies = sorted(x for r in results for x in r[0])
    return {"latencies": latencies, "errors": sum(r[1] for r in results), "requests": sum(r[2] for r in results),
            "elapsed": elapsed}


def merge(a: dict | None, b: dict) -> dict:
    if a is None:
        return b
    return {"latencies": sorted(a["latencies"] + b["latencies"]), "errors": a["errors"] + b["errors"],
            "requests": a["requests"] + b["requests"], "elapsed": a["elapsed"] + b["elapsed"]}


def quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_ready(port: int, timeout: float = 60.0) -> None:
    until = time.time() + timeout
    while time.time() < until:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not come up")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="per round and endpoint (two rounds each)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=20_000, help="cap per round and endpoint")
    parser.add_argument("--tickets", type=int, default=5_000)
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args(argv)

    url = make_url(args.pg_url)
    name = f"jy_bench_api_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server = None
    try:
        target = url.set(database=name).render_as_string(hide_password=False)
        folder = Path(tempfile.mkdtemp(prefix="jy-bench-api-"))
        instance = str(folder / "instance")
        print(f"seeding {args.tickets:,} tickets in a database of its own …", flush=True)
        ids, token = seed(target, instance, args.tickets)
        (folder / "bench_wsgi.py").write_text(textwrap.dedent(WSGI))
        port = free_port()
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{folder}", "JIAYUAN_DATABASE_URL": target,
               "JIAYUAN_INSTANCE_PATH": instance, "JIAYUAN_DISABLED_PLUGINS": os.environ.get(
                   "JIAYUAN_DISABLED_PLUGINS", "")}
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        server = subprocess.Popen([gunicorn, "-w", "2", "-b", f"{HOST}:{port}", "--chdir", str(folder),
                                   "--log-level", "warning", "bench_wsgi:app"], env=env, start_new_session=True)
        wait_ready(port)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        api_path, base_path = "/api/v1/tickets/{id}", "/_baseline/tickets/{id}"
        # both must answer before we measure
        for path in (api_path, base_path):
            probe = drive(port, path, ids[:1], headers, 5, 1, 1)
            if probe["errors"]:
                print(f"{path} does not answer 200; is the tickets API installed?")
                return 1
        print(f"gunicorn: 2 workers on {HOST}:{port}; {args.concurrency} clients; "
              f"2 rounds × {args.seconds:g} s (≤ {args.max_requests:,} requests) per endpoint", flush=True)
        drive(port, api_path, ids, headers, 1, args.concurrency, 500)  # warm both up
        drive(port, base_path, ids, headers, 1, args.concurrency, 500)
        api = base = None
        for _round in range(2):
            base = merge(base, drive(port, base_path, ids, headers, args.seconds, args.concurrency, args.max_requests))
            api = merge(api, drive(port, api_path, ids, headers, args.seconds, args.concurrency, args.max_requests))
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    def line(label, r):
        rps = r["requests"] / r["elapsed"]
        print(f"{label:<34} {r['requests']:>8,} {r['errors']:>7} {rps:>9.1f} "
              f"{quantile(r['latencies'], 0.5) * 1000:>8.1f} {quantile(r['latencies'], 0.99) * 1000:>8.1f}")
        return rps

    print()
    print(f"{'endpoint':<34} {'requests':>8} {'errors':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    api_rps = line("GET /api/v1/tickets/<id>", api)
    base_rps = line("minimal Flask, one PK query", base)
    ratio = api_rps / base_rps if base_rps else 0.0
    met = ratio >= GOAL and api["errors"] == 0 and base["errors"] == 0
    print(f"\nthroughput ratio {ratio:.2f}× (goal ≥ {GOAL}× with zero errors): {'met' if met else 'NOT MET'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
