def test_each_app_reads_its_own_catalogues(app, make_app, client):
    """An app without a plugin must not leave the plugin's messages untranslated for other apps."""
    bare = make_app({"DISABLED_PLUGINS": ["owners_assembly"]})
    with bare.test_request_context("/?lang=zh_CN"):
        from flask_babel import gettext

        assert gettext("Owners' assembly") == "Owners' assembly"  # not this app's catalogue
    with app.test_request_context("/?lang=zh_CN"):
        from flask_babel import gettext

        assert gettext("Owners' assembly") == "业主大会"
