import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.imports import services
from core.people.models import Ownership, Person
from core.places.models import Building, Unit
from core.security import resident_id_with_check_digit

ID1 = resident_id_with_check_digit("11010119800101001")
ID2 = resident_id_with_check_digit("11010119820202002")
HEADER = ["楼栋", "房号", "楼层", "建筑面积", "建筑面积来源", "专有部分面积", "专有部分面积来源", "用途", "销售状态",
          "业主姓名", "业主电话", "业主证件类型", "业主证件号码", "份额"]
GOOD = [
    HEADER,
    ["1栋", "101", 1, 89.5, "不动产登记", 70.25, "测绘", "住宅", "已交付", "赵一", "13900000001", "居民身份证", ID1, ""],
    ["1栋", "102", 1, 102, "register", None, None, "residential", "sold", "钱二", "13900000002", None, ID2, None],
    ["2栋", "101", 1, 120, "合同", None, None, "商业", "已售", "赵一", "13900000001", "身份证", ID1, 1],
    ["2栋", "P01", -1, 12.5, "测绘", None, None, "车位", "未售", None, None, None, None, None],
    [None] * 14,
]


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for r in rows:
        sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    return "\n".join(",".join("" if v is None else str(v) for v in r) for r in rows).encode(encoding)


def counts(db):
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Building, Unit, Person, Ownership))


@pytest.fixture
def setup(db, make, req):
    community = make.community()
    make.building(community, name="1栋")
    return community, make.account("manager", community)


def test_import_xlsx_then_again_changes_nothing(db, setup):
    community, manager = setup
    result = services.run_import(manager, community, xlsx(GOOD), "units.xlsx")
    db.session.commit()
    assert result.summary() == {"rows": 4, "new_buildings": 1, "new_units": 4, "changed_units": 0,
                                "unchanged_units": 0, "new_people": 2, "new_ownerships": 3}
    assert counts(db) == (2, 4, 2, 3)
    unit = db.session.scalar(select(Unit).where(Unit.number == "101").order_by(Unit.id))
    assert str(unit.building_area) == "89.50" and str(unit.exclusive_area) == "70.25"
    zhao = db.session.scalar(select(Person).where(Person.name == "赵一"))
    assert zhao.id_number == ID1 and zhao.birth_date.year == 1980 and zhao.community_id == community.id
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "import")) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "Unit",
                                                                               AuditEntry.action == "create")) == 0
    stamp = unit.updated_at
    again = services.run_import(manager, community, xlsx(GOOD), "units.xlsx")
    db.session.commit()
    assert again.summary()["unchanged_units"] == 4 and again.new_units == again.new_people == 0
    assert counts(db) == (2, 4, 2, 3)
    db.session.refresh(unit)
    assert unit.updated_at == stamp
    # a changed area updates one unit
    changed = [list(r) for r in GOOD]
    changed[1][3] = 90
    assert services.run_import(manager, community, xlsx(changed), "u.xlsx").changed_units == 1


def test_csv_in_gbk_is_read(db, setup):
    community, manager = setup
    services.run_import(manager, community, csv_bytes(GOOD, "gb18030"), "units.csv")
    assert counts(db)[1] == 4


def test_any_bad_row_gives_a_report_and_writes_nothing(db, setup):
    community, manager = setup
    bad_digit = ID2[:-1] + ("0" if ID2[-1] != "0" else "1")
    rows = [HEADER,
            ["1栋", "101", 1, -3, "测绘", None, None, "住宅", "已售", "甲", None, None, None, None],
            ["1栋", "102", "二", "abc", None, None, None, "城堡", None, "乙", "phone?", None, bad_digit, None],
            ["1栋", "101", 1, 80, "测绘", None, None, None, None, None, None, None, None, None],
            [None, "x" * 21, None, None, None, None, None, None, None, None, None, None, None, "2"],
            ["1栋", "105", 1, 80, "测绘", 90, "测绘", None, None, None, None, None, None, None]]
    before = counts(db)
    with pytest.raises(services.ImportRefused) as exc:
        services.run_import(manager, community, xlsx(rows), "bad.xlsx")
    found = {(p.row, p.column) for p in exc.value.problems}
    assert {(2, "building_area"), (3, "floor"), (3, "building_area"), (3, "use"), (3, "owner_phone"),
            (3, "owner_id_number"), (4, "unit"), (5, "building"), (5, "unit"), (5, "owner_name"),
            (6, "exclusive_area")} <= found, found
    assert counts(db) == before


def test_header_problems(db, setup):
    community, manager = setup
    with pytest.raises(services.ImportRefused) as exc:
        services.run_import(manager, community, csv_bytes([["楼栋", "颜色"], ["1栋", "红"]]), "x.csv")
    assert {(p.row, p.column) for p in exc.value.problems} == {(1, "颜色"), (1, "unit")}
    with pytest.raises(services.ImportRefused):
        services.run_import(manager, community, b"", "x.csv")
    with pytest.raises(services.Invalid):
        services.run_import(manager, community, b"garbage", "x.xlsx")
    with pytest.raises(services.Invalid):
        services.run_import(manager, community, b"a,b", "x.txt")


def test_register_conflicts_are_reported(db, setup, make):
    community, manager = setup
    services.run_import(manager, community, xlsx(GOOD), "units.xlsx")
    db.session.commit()
    rows = [HEADER, ["1栋", "101", 1, 89.5, "不动产登记", None, None, None, None, "孙三", "13900000009", None, None, "1"],
            ["1栋", "102", 1, 102, "register", None, None, None, None, "李四", None, "身份证", ID1, None]]
    with pytest.raises(services.ImportRefused) as exc:
        services.run_import(manager, community, xlsx(rows), "again.xlsx")
    assert {(p.row, p.column) for p in exc.value.problems} == {(2, "share"), (3, "owner_id_number")}


def test_dry_run_writes_nothing(db, setup):
    community, manager = setup
    db.session.commit()
    result = services.run_import(manager, community, xlsx(GOOD), "units.xlsx", dry_run=True)
    assert result.new_units == 4
    db.session.rollback()
    assert counts(db) == (1, 0, 0, 0)


def test_export_round_trips(db, setup):
    community, manager = setup
    services.run_import(manager, community, xlsx(GOOD), "units.xlsx")
    db.session.commit()
    data = services.export(manager, community, "xlsx", include_ids=True)
    again = services.run_import(manager, community, data, "export.xlsx")
    assert again.new_units == 0 and again.changed_units == 0 and again.new_ownerships == 0
    csv_data = services.export(manager, community, "csv", include_ids=False)
    assert ID1 not in csv_data.decode("utf-8-sig") and "赵一" in csv_data.decode("utf-8-sig")
    again = services.run_import(manager, community, csv_data, "export.csv")
    assert (again.new_people, again.new_ownerships) == (0, 0)  # without ID numbers: matched by name and phone


def test_cli_imports_with_dry_run(app, db, setup, tmp_path):
    from core.cli import build_cli

    cli = build_cli(app)
    community, _manager = setup
    path = tmp_path / "units.xlsx"
    path.write_bytes(xlsx(GOOD))
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["import", "units", str(path), "--community", str(community.id), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would change" in result.output
    db.session.expire_all()
    assert counts(db)[1] == 0
    result = runner.invoke(cli, ["import", "units", str(path), "--community", str(community.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert counts(db)[1] == 4
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["楼栋", "房号", "建筑面积"], ["1栋", "999", "-1"]]))
    result = runner.invoke(cli, ["import", "units", str(bad), "--community", str(community.id)])
    assert result.exit_code == 1 and "building_area" in result.output
    result = runner.invoke(cli, ["import", "units", str(path), "--community", "424242"])
    assert result.exit_code == 2


def test_web_upload_preview_confirm(client, login_as, make, db):
    community = make.community()
    login_as("manager", community)
    resp = client.post(f"/register/communities/{community.id}/import",
                       data={"file": (io.BytesIO(xlsx(GOOD)), "units.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="confirm-import"' in html and counts(db)[1] == 0
    import re

    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', html)
    assert token, html
    resp = client.post(f"/register/communities/{community.id}/import/confirm", data={"token": token.group(1)})
    assert resp.status_code == 302
    assert counts(db) == (2, 4, 2, 3)
    resp = client.post(f"/register/communities/{community.id}/import/confirm", data={"token": "../../etc/passwd"})
    assert resp.status_code == 422
    bad = client.post(f"/register/communities/{community.id}/import",
                      data={"file": (io.BytesIO(csv_bytes([["楼栋", "房号", "建筑面积"], ["1栋", "9", "-1"]])), "b.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and 'id="problems"' in bad.get_data(as_text=True)
    assert client.post(f"/register/communities/{community.id}/import",
                       data={"file": (io.BytesIO(b"x"), "b.pdf")}, content_type="multipart/form-data").status_code \
        == 422
    resp = client.get(f"/register/communities/{community.id}/export.csv")
    assert resp.status_code == 200 and "赵一" in resp.get_data().decode("utf-8-sig")
    assert client.get(f"/register/communities/{community.id}/export.pdf").status_code == 422


def test_staff_may_not_import(client, login_as, make, db):
    community = make.community()
    login_as("staff", community)
    resp = client.post(f"/register/communities/{community.id}/import",
                       data={"file": (io.BytesIO(xlsx(GOOD)), "units.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 403
    assert client.get(f"/register/communities/{community.id}/export.csv").status_code == 403


def test_export_with_id_numbers_is_for_sensitive_readers_and_audited(client, login_as, make, db):
    community = make.community()
    unit = make.unit(make.building(community))
    from core.people.services import id_index

    make.owner(unit, person=make.person(name="孔明", id_type="resident_id", id_number=ID1,
                                        id_number_index=id_index(ID1)))
    login_as("manager", community)
    text = client.get(f"/register/communities/{community.id}/export.csv?ids=1").get_data().decode("utf-8-sig")
    assert ID1 in text
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert entry.restricted_to == "people.read_sensitive"
    company_admin = make.account("company_admin", community.company)
    login_as(company_admin)
    text = client.get(f"/register/communities/{community.id}/export.csv?ids=1").get_data().decode("utf-8-sig")
    assert ID1 not in text and "孔明" in text
