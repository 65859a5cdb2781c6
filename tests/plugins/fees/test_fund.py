"""Maintenance fund (专项维修资金) statements imported from the holder's Excel or CSV file."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from core import ImportRefused, Invalid
from plugins.fees import services as svc
from plugins.fees.models import FundImport, FundLine

HEADER = "日期,摘要,收入,支出,余额"
STATEMENT = [HEADER,
             "2026-01-05,首期归集,50000.00,,50000.00",
             "2026-02-10,电梯维修,,12345.60,37654.40",
             "2026/3/21,利息,123.45,,37777.85"]


def csv(lines) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def xlsx(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def count(db, model=FundLine):
    return db.session.scalar(select(func.count(model.id)))


def problems_of(exc) -> set:
    return {(p.row, p.column) for p in exc.value.problems}


def test_csv_statement_imports_once_with_decimal_amounts(setup, db):
    c, *_ = setup(n_units=1)
    plan, record = svc.import_fund_statement(None, c, csv(STATEMENT), "2026q1.csv", holder="市维修资金中心")
    assert record.added == 3 and plan.summary()["closing_balance"] == "37777.85"
    assert plan.summary()["opening_balance"] == "0.00"
    lines = svc.fund_lines(c.id)
    assert [ln.balance for ln in lines] == [Decimal("50000.00"), Decimal("37654.40"), Decimal("37777.85")]
    assert lines[1].amount_out == Decimal("12345.60") and lines[2].day == dt.date(2026, 3, 21)
    again, record2 = svc.import_fund_statement(None, c, csv(STATEMENT), "2026q1.csv")
    assert again.new == [] and record2.added == 0 and count(db) == 3
    # a later statement that repeats the last known row adds only what is new
    later = [HEADER, STATEMENT[3], "2026-04-02,外墙维修,,777.85,37000.00"]
    plan3, _r = svc.import_fund_statement(None, c, csv(later), "2026q2.csv")
    assert len(plan3.new) == 1 and count(db) == 4
    assert svc.fund_lines(c.id, 2026)[-1].balance == Decimal("37000.00")
    assert svc.fund_lines(c.id, 2025) == []


def test_xlsx_statement_with_excel_dates_and_numbers(setup, db):
    c, *_ = setup(n_units=1)
    data = xlsx([["交易日期", "摘要", "存入", "支取", "余额"],
                 [dt.datetime(2026, 1, 5), "归集", 1000, None, 1000],
                 [dt.datetime(2026, 1, 9), "维修", None, 0.1, 999.9],
                 [dt.date(2026, 1, 31), "利息", 0.35, None, 1000.25]])
    plan, record = svc.import_fund_statement(None, c, data, "statement.xlsx")
    assert record.added == 3 and plan.summary()["total_out"] == "0.10"
    assert svc.fund_lines(c.id)[-1].balance == Decimal("1000.25")


@pytest.mark.parametrize("row, column", [
    ("2026-02-10,维修,,\"1,234.50\",48765.50", "amount_out"),   # "1,234.5" style
    ("2026-02-10,维修,,-1234.50,48765.50", "amount_out"),       # negative where not allowed
    ("2026-02-30,维修,,1234.50,48765.50", "day"),               # impossible date
    ("昨天,维修,,1234.50,48765.50", "day"),
    ("2026-02-10,维修,,1234.50,48000.00", "balance"),           # does not reconcile
    ("2026-02-10,维修,,1234.505,48765.495", "amount_out"),      # more than two places
    ("2026-02-10,维修,,1234.50,-1", "balance"),
    ("2026-02-10,维修,,abc,48765.50", "amount_out"),
    ("2026-02-10,维修,10,1234.50,48775.50", "amount_out"),      # both in and out
    ("2026-02-10,维修,,,50000.00", "amount_in"),               # neither
    ("2026-02-10,维修,,1234.50,", "balance"),                   # no balance
    ("2025-12-31,维修,,1234.50,48765.50", "day"),               # out of date order
])
def test_bad_rows_are_reported_and_nothing_is_written(setup, db, row, column):
    c, *_ = setup(n_units=1)
    lines = [HEADER, "2026-01-05,首期归集,50000.00,,50000.00", row]
    with pytest.raises(ImportRefused) as exc:
        svc.import_fund_statement(None, c, csv(lines), "bad.csv")
    assert (3, column) in problems_of(exc), [p.as_dict() for p in exc.value.problems]
    assert exc.value.status == 422 and exc.value.code == "import_invalid"
    assert count(db) == 0 and count(db, FundImport) == 0


def test_every_bad_row_is_reported_at_once(setup, db):
    c, *_ = setup(n_units=1)
    lines = [HEADER, "2026-01-05,归集,\"1,000\",,1000", "2026-01-06,x,5,,1005", "2026-02-30,y,5,,1010"]
    with pytest.raises(ImportRefused) as exc:
        svc.import_fund_statement(None, c, csv(lines), "bad.csv")
    assert problems_of(exc) == {(2, "amount_in"), (4, "day")}


def test_header_and_file_problems(setup, db):
    c, *_ = setup(n_units=1)
    with pytest.raises(ImportRefused) as exc:
        svc.import_fund_statement(None, c, csv(["日期,摘要,收入,余额", "2026-01-05,x,1,1"]), "a.csv")
    assert (1, "支出") in problems_of(exc)
    with pytest.raises(ImportRefused):
        svc.import_fund_statement(None, c, csv([HEADER]), "empty.csv")
    with pytest.raises(Invalid) as bad:
        svc.import_fund_statement(None, c, b"not a spreadsheet", "statement.pdf")
    assert "file" in bad.value.fields
    with pytest.raises(Invalid) as bad:
        svc.import_fund_statement(None, c, b"PK\x03\x04 broken", "statement.xlsx")
    assert "file" in bad.value.fields
    with pytest.raises(Invalid) as bad:
        svc.import_fund_statement(None, c, csv(STATEMENT), "a.csv", holder="x" * 121)
    assert "holder" in bad.value.fields
    assert count(db) == 0 and count(db, FundImport) == 0


def test_a_statement_must_follow_the_balance_on_record(setup, db):
    c, *_ = setup(n_units=1)
    svc.import_fund_statement(None, c, csv(STATEMENT[:3]), "jan-feb.csv")
    gap = [HEADER, "2026-03-21,利息,123.45,,40000.00"]  # a movement is missing before it
    with pytest.raises(ImportRefused) as exc:
        svc.import_fund_statement(None, c, csv(gap), "mar.csv")
    assert problems_of(exc) == {(2, "balance")}
    assert count(db) == 2


def test_dry_run_writes_nothing(setup, db):
    c, *_ = setup(n_units=1)
    plan, record = svc.import_fund_statement(None, c, csv(STATEMENT), "a.csv", dry_run=True)
    assert record is None and len(plan.new) == 3 and count(db) == 0


def test_statement_feeds_the_disclosure(setup, db):
    c, *_ = setup(n_units=1)
    svc.add_ledger_entry(None, c, year=2026, kind="fund_balance", label="手工余额", amount="1.00")
    assert svc.disclosure_figures(c, 2026)["fund_balance"] == "1.00"
    svc.import_fund_statement(None, c, csv(STATEMENT), "a.csv", holder="市维修资金中心")
    figures = svc.disclosure_figures(c, 2026)
    assert figures["fund_balance"] == "37777.85"  # the holder's statement states the balance
    moves = [m for m in figures["fund_movements"] if m["source"] == "市维修资金中心"]
    assert [m["amount"] for m in moves] == ["50000.00", "-12345.60", "123.45"]
    assert "电梯维修" in moves[1]["label"]
    assert svc.disclosure_figures(c, 2025)["fund_balance"] == "0.00"


movement = st.tuples(st.booleans(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2))


@given(opening=st.decimals(min_value=Decimal("3000000"), max_value=Decimal("9999999"), places=2),
       moves=st.lists(movement, min_size=1, max_size=30), broken=st.integers(min_value=0, max_value=29))
def test_reconciliation_accepts_exact_chains_and_finds_the_broken_row(opening, moves, broken):
    balance = opening
    table = [["日期", "摘要", "收入", "支出", "余额"], ["2026-01-01", "opening", str(opening), "", str(opening)]]
    for i, (is_in, amount) in enumerate(moves):
        balance += amount if is_in else -amount
        day = dt.date(2026, 1, 1) + dt.timedelta(days=i + 1)
        table.append([day.isoformat(), f"m{i}", str(amount) if is_in else "", "" if is_in else str(amount),
                      str(balance)])
    rows, problems = svc.check_fund_statement(table)
    assert not problems and len(rows) == len(moves) + 1
    assert sum((r.amount_in - r.amount_out for r in rows[1:]), opening) == rows[-1].balance
    k = 2 + broken % len(moves)
    table[k][4] = str(Decimal(table[k][4]) + Decimal("0.01"))
    _rows, problems = svc.check_fund_statement(table)
    assert (k + 1, "balance") in {(p.row, p.column) for p in problems}


# --- pages and API -----------------------------------------------------------------------------

from core.testing import assert_envelope  # noqa: E402


def upload(data: bytes, name: str, **form):
    return {"file": (io.BytesIO(data), name), **form}


def test_page_upload_preview_confirm_and_reimport(setup, client, login_as, db):
    c, *_ = setup(n_units=1)
    login_as("manager", c)
    page = client.get(f"/fees/c/{c.id}/fund")
    assert page.status_code == 200 and 'id="fund-preview"' in page.get_data(as_text=True)
    assert client.get(f"/fees/c/{c.id}/fund/template.csv").get_data().decode("utf-8-sig").startswith(HEADER)
    preview = client.post(f"/fees/c/{c.id}/fund/import", data=upload(csv(STATEMENT), "q1.csv", holder="维修资金中心"),
                          content_type="multipart/form-data")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "37777.85" in text and count(db) == 0  # a preview writes nothing
    token = text.split('name="token" type="hidden" value="')[1].split('"')[0]
    done = client.post(f"/fees/c/{c.id}/fund/import/confirm", data={"token": token, "holder": "维修资金中心"})
    assert done.status_code == 302 and count(db) == 3
    listing = client.get(f"/fees/c/{c.id}/fund?year=2026").get_data(as_text=True)
    assert "电梯维修" in listing and "维修资金中心" in listing
    # the same preview confirmed again (double submit) has expired; the same file again adds nothing
    assert client.post(f"/fees/c/{c.id}/fund/import/confirm", data={"token": token}).status_code == 302
    again = client.post(f"/fees/c/{c.id}/fund/import", data=upload(csv(STATEMENT), "q1.csv"),
                        content_type="multipart/form-data")
    token = again.get_data(as_text=True).split('name="token" type="hidden" value="')[1].split('"')[0]
    client.post(f"/fees/c/{c.id}/fund/import/confirm", data={"token": token})
    assert count(db) == 3
    assert "37777.85" in client.get(f"/fees/c/{c.id}/disclosure/2026").get_data(as_text=True)


def test_page_reports_bad_rows_with_422(setup, client, login_as, db):
    c, *_ = setup(n_units=1)
    login_as("manager", c)
    bad = [HEADER, "2026-01-05,归集,\"1,234.5\",,1234.50", "2026-02-30,维修,,1,1233.50"]
    resp = client.post(f"/fees/c/{c.id}/fund/import", data=upload(csv(bad), "bad.csv"),
                       content_type="multipart/form-data")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="problems"' in text and "confirm-fund-import" not in text
    assert client.post(f"/fees/c/{c.id}/fund/import", data=upload(b"x", "a.pdf"),
                       content_type="multipart/form-data").status_code == 422
    assert client.post(f"/fees/c/{c.id}/fund/import/confirm", data={"token": "../../etc/passwd"}).status_code == 422
    assert count(db) == 0 and count(db, FundImport) == 0


def test_page_roles(setup, client, login_as, make, db):
    c, *_ = setup(n_units=1)
    other = make.community()
    for role in ("committee_member", "auditor"):
        login_as(role, c)
        assert client.get(f"/fees/c/{c.id}/fund").status_code == 200
        assert client.post(f"/fees/c/{c.id}/fund/import", data=upload(csv(STATEMENT), "q1.csv"),
                           content_type="multipart/form-data").status_code == 403
    for role, scope in (("staff", c), ("guard", c), ("manager", other)):
        login_as(role, scope)
        assert client.get(f"/fees/c/{c.id}/fund").status_code == 403
        assert client.post(f"/fees/c/{c.id}/fund/import", data=upload(csv(STATEMENT), "q1.csv"),
                           content_type="multipart/form-data").status_code == 403
    assert count(db) == 0


def test_api_dry_run_import_reimport_and_list(setup, client, make, api_headers, db):
    c, *_ = setup(n_units=1)
    h = api_headers(make.account("manager", c))
    url = f"/api/v1/fees/communities/{c.id}/fund-statements"
    dry = client.post(url, data=upload(csv(STATEMENT), "q1.csv", dry_run="true"), headers=h,
                      content_type="multipart/form-data")
    assert dry.status_code == 200 and dry.get_json()["new"] == 3 and count(db) == 0
    done = client.post(url, data=upload(csv(STATEMENT), "q1.csv", holder="中心"), headers=h,
                       content_type="multipart/form-data")
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["closing_balance"] == "37777.85" and done.get_json()["import_id"]
    again = client.post(url, data=upload(csv(STATEMENT), "q1.csv"), headers=h, content_type="multipart/form-data")
    assert again.status_code == 201 and again.get_json()["new"] == 0 and again.get_json()["already_imported"] == 3
    lines = client.get(f"/api/v1/fees/communities/{c.id}/fund-lines?year=2026", headers=h).get_json()
    assert [ln["balance"] for ln in lines] == ["50000.00", "37654.40", "37777.85"]
    assert lines[1]["amount_out"] == "12345.60"
    assert_envelope(client.get(f"/api/v1/fees/communities/{c.id}/fund-lines?year=abc", headers=h), 422)


def test_api_bad_input(setup, client, make, api_headers, db):
    c, *_ = setup(n_units=1)
    h = api_headers(make.account("manager", c))
    url = f"/api/v1/fees/communities/{c.id}/fund-statements"
    bad = [HEADER, "2026-01-05,归集,50000,,50000", "2026-01-06,维修,,-5,49995", "2026-01-07,维修,,5,1"]
    err = assert_envelope(client.post(url, data=upload(csv(bad), "bad.csv"), headers=h,
                                      content_type="multipart/form-data"), 422)
    assert err["code"] == "import_invalid"
    assert {(p["row"], p["column"]) for p in err["problems"]} == {(3, "amount_out")}
    assert_envelope(client.post(url, data=upload(b"%PDF", "s.pdf"), headers=h, content_type="multipart/form-data"),
                    422)
    assert_envelope(client.post(url, data={"holder": "x"}, headers=h, content_type="multipart/form-data"), 422)
    assert_envelope(client.post(url, data=upload(csv(STATEMENT), "q1.csv", holder="x" * 121), headers=h,
                                content_type="multipart/form-data"), 422)
    assert count(db) == 0 and count(db, FundImport) == 0


def test_api_roles(setup, client, make, api_headers, db):
    c, *_ = setup(n_units=1)
    other = make.community()
    url = f"/api/v1/fees/communities/{c.id}/fund-statements"
    for role, scope in (("committee_member", c), ("auditor", c), ("staff", c), ("manager", other)):
        h = api_headers(make.account(role, scope))
        assert_envelope(client.post(url, data=upload(csv(STATEMENT), "q1.csv"), headers=h,
                                    content_type="multipart/form-data"), 403)
    h = api_headers(make.account("committee_member", c))
    assert client.get(f"/api/v1/fees/communities/{c.id}/fund-lines", headers=h).status_code == 200
    assert_envelope(client.post(url, data=upload(csv(STATEMENT), "q1.csv"), content_type="multipart/form-data"), 401)
    assert_envelope(client.post("/api/v1/fees/communities/999999/fund-statements",
                                data=upload(csv(STATEMENT), "q1.csv"), headers=h,
                                content_type="multipart/form-data"), 404)
    assert count(db) == 0
