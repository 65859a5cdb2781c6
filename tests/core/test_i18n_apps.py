def test_each_app_reads_its_own_catalogues(app, make_app, client):
    """An app without a plugin must not leave the plugin's messages untranslated for other apps."""
    bare = make_app({"DISABLED_PLUGINS": ["owners_assembly"]})
    with bare.test_request_context("/?lang=zh_CN"):
        from flask_babel import gettext

        assert gettext("Owners' assembly") == "Owners' assembly"  # not this app's catalogue
    with app.test_request_context("/?lang=zh_CN"):
        from flask_babel import gettext

        assert gettext("Owners' assembly") == "业主大会"


def test_each_page_reads_its_own_catalogue_first(app, client, make, login_as):
    """The same English may need other Chinese in another trade: the catalogue of the package that
    serves the request wins over the others (here "Register" and "Log in"), and the core's comes next:
    on a page of a plugin without the word, the core's words win over a third package's."""
    from flask_babel import gettext

    cases = [("/login?lang=zh_CN", {"Register": "房屋台账", "Log in": "登录"}),
             ("/culture_events/?lang=zh_CN", {"Register": "报名"}),
             ("/security_guard/gate?lang=zh_CN", {"Register": "考勤", "Log in": "登记进入"}),
             ("/fees/?lang=zh_CN", {"Register": "房屋台账", "Log in": "登录"}),
             ("/api/v1/tickets?lang=zh_CN", {"Log in": "登录"})]
    for path, expected in cases:
        with app.test_request_context(path):
            assert {msgid: gettext(msgid) for msgid in expected} == expected, path
    login_as(make.account("platform_admin"))
    page = client.get("/login?lang=zh_CN", follow_redirects=True)
    assert page.status_code == 200 and "登记进入" not in page.get_data(as_text=True)


def test_pages_declare_the_language_they_are_in(client):
    """Screen readers and the browser's own translation offer go by <html lang>."""
    zh = client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    en = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and "登录" in zh
    assert '<html lang="en">' in en
