import types
from importlib.metadata import EntryPoint, entry_points

import pytest

from core import hookimpl
from core.plugins import GROUP, PluginError, load_plugins, make_manager

BUILTINS = {"culture_events", "drugfree", "fees", "owners_assembly", "security_guard"}


def test_builtin_plugins_load_through_the_entry_point_group(app):
    declared = {ep.name for ep in entry_points(group=GROUP) if ep.value.startswith("plugins.")}
    assert declared >= BUILTINS
    # the test app honours JIAYUAN_DISABLED_PLUGINS: every other built-in loads, a disabled one does not
    disabled = set(app.config["DISABLED_PLUGINS"])
    names = {info.name for info in app.extensions["jiayuan.plugins"]}
    assert names >= BUILTINS - disabled and not names & disabled
    assert all(info.builtin for info in app.extensions["jiayuan.plugins"] if info.name in BUILTINS)


def test_disable_list_and_allowlist(app, make_app):
    disabled = make_app({"DISABLED_PLUGINS": ["fees"]})
    assert "fees" not in {i.name for i in disabled.extensions["jiayuan.plugins"]}
    loaded = {i.name for i in app.extensions["jiayuan.plugins"]}
    pick = "drugfree" if "drugfree" in loaded else min(loaded & (BUILTINS - {"fees"}))
    only = make_app({"PLUGINS": [pick]})
    assert {i.name for i in only.extensions["jiayuan.plugins"]} == {pick}
    # disabling wins over the allowlist
    assert make_app({"PLUGINS": [pick], "DISABLED_PLUGINS": [pick]}).extensions["jiayuan.plugins"] == []
    # the core works with every plugin off
    bare = make_app({"PLUGINS": []})
    assert bare.test_client().get("/login").status_code == 200


def test_a_plugin_that_fails_to_import_stops_start_up_unless_disabled(monkeypatch):
    broken = EntryPoint(name="broken", value="no_such_module_for_jiayuan", group=GROUP)
    monkeypatch.setattr("core.plugins.entry_points", lambda group: [broken])
    with pytest.raises(PluginError, match="broken"):
        load_plugins(make_manager(), None, [])
    assert load_plugins(make_manager(), None, ["broken"]) == []


def test_incompatible_plugin_is_refused_with_versions_named():
    module = types.ModuleType("old_plugin")
    module.PLUGIN_NAME = "old_plugin"
    module.JIAYUAN_REQUIRES = ">=9,<10"
    with pytest.raises(PluginError, match=r"old_plugin.*>=9,<10.*0\.1"):
        load_plugins(make_manager(), [], [], extra=[module])


def test_extra_plugin_hooks_are_listed(make_app):
    module = types.ModuleType("probe")
    module.PLUGIN_NAME = "probe"

    @hookimpl
    def permissions():
        return {"probe.thing.read": {"label": "Probe", "roles": ["manager"]}}

    module.permissions = permissions
    app = make_app(plugins=[module])
    info = next(i for i in app.extensions["jiayuan.plugins"] if i.name == "probe")
    assert info.hooks == ["permissions"]
    with app.app_context():
        from core.auth.permissions import all_permissions

        assert "probe.thing.read" in all_permissions()
