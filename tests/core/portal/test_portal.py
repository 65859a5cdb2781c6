"""The owner/resident portal: my units, my household, only my own."""

from core.auth.models import Account


def test_owner_sees_own_units_and_household(client, login_as, make, db):
    unit = make.unit()
    other_unit = make.unit(building=unit.building)
    account = login_as("owner", unit)
    spouse = make.resident(unit, kind="family")
    stranger = make.owner(other_unit)
    db.session.commit()
    text = client.get("/portal/").get_data(as_text=True)
    assert f'data-unit="{unit.id}"' in text and f'data-unit="{other_unit.id}"' not in text
    assert spouse.name in text and account.person.name in text
    assert stranger.name not in text
    assert 'name="viewport"' in text


def test_tenant_sees_the_unit_they_live_in(client, login_as, make, db):
    unit = make.unit()
    owner = make.owner(unit, lives_there=False)
    login_as("resident", unit)
    text = client.get("/portal/").get_data(as_text=True)
    assert f'data-unit="{unit.id}"' in text and owner.name not in text


def test_account_without_person(client, login_as, make):
    login_as(make.account())
    resp = client.get("/portal/")
    assert resp.status_code == 200 and "not linked" in resp.get_data(as_text=True) or "未关联" in resp.get_data(
        as_text=True)


def test_portal_needs_login(client):
    assert client.get("/portal/").status_code == 302
    assert Account  # the model the portal links to
