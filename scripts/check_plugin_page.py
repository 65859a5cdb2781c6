"""Start Jiayuan with an installed plugin on a real server and fetch the plugin's page as a manager.

    python scripts/check_plugin_page.py NAME /url/of/its/page/
"""

from __future__ import annotations

import http.cookiejar
import re
import sys
import tempfile
import threading
import urllib.parse
import urllib.request

from werkzeug.serving import make_server


def main(name: str, path: str) -> int:
    instance = tempfile.mkdtemp(prefix="jy-plugin-check-")
    from core.app import create_app
    from core.auth.services import create_account, grant
    from core.database import db
    from core.migrate import upgrade_all
    from core.places.models import Area, Community, Organisation, OrgKind, StreetOffice

    app = create_app({"INSTANCE_PATH": instance, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance}/check.db",
                      "RATELIMIT_ENABLED": False})
    loaded = {info.name for info in app.extensions["jiayuan.plugins"]}
    if name not in loaded:
        print(f"FAIL: plugin {name!r} did not load (loaded: {sorted(loaded)})")
        return 1
    upgrade_all(app)
    with app.app_context():
        street = StreetOffice(name="检查街道")
        company = Organisation(kind=OrgKind.property_company, name="检查物业")
        db.session.add_all([street, company])
        db.session.flush()
        area = Area(street_office_id=street.id, name="检查社区")
        db.session.add(area)
        db.session.flush()
        community = Community(area_id=area.id, name="检查小区", company_id=company.id)
        db.session.add(community)
        db.session.flush()
        account = create_account("checker", "check-pass-123", "检查员", organisation_id=company.id)
        grant(account, "manager", "community", community.id)
        db.session.commit()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        login_page = opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page) or re.search(
            r'name="csrf_token" value="([^"]+)"', login_page)
        form = {"username": "checker", "password": "check-pass-123", "csrf_token": token.group(1) if token else ""}
        opener.open(f"{base}/login", data=urllib.parse.urlencode(form).encode())
        page = opener.open(f"{base}{path}")
        body = page.read().decode()
        if page.status != 200 or "检查小区" not in body:
            print(f"FAIL: {path} answered {page.status}")
            return 1
        home = opener.open(f"{base}/").read().decode()
        if f'href="{path}"' not in home:
            print("FAIL: the plugin's menu item is missing")
            return 1
    finally:
        server.shutdown()
    print(f"ok: Jiayuan served {path} of plugin {name} with its menu item")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
