"""The plugin host: one pluggy PluginManager per application, loaded inside ``create_app()``."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pluggy
from flask import current_app
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from core import hookspecs

GROUP = "jiayuan.plugins"


class PluginError(RuntimeError):
    """A plugin could not be loaded; the message names it."""


@dataclass
class PluginInfo:
    name: str
    module: ModuleType
    version: str
    description: str = ""
    author: str = ""
    requires: str = ""
    builtin: bool = False
    hooks: list[str] = field(default_factory=list)

    @property
    def migrations(self) -> Path | None:
        if not getattr(self.module, "__file__", None):
            return None
        folder = Path(self.module.__file__).parent / "migrations" / "versions"
        return folder if folder.is_dir() else None


def host_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jiayuan")
    except PackageNotFoundError:  # running from a plain checkout
        return "0.1.0"


def _check_compatible(name: str, requires: str) -> None:
    if not requires:
        return
    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier as exc:
        raise PluginError(f"plugin {name!r} declares an invalid Jiayuan range {requires!r}") from exc
    if Version(host_version()) not in spec:
        raise PluginError(
            f"plugin {name!r} supports Jiayuan {requires}, but this is Jiayuan {host_version()}; "
            f"upgrade the plugin or disable it with JIAYUAN_DISABLED_PLUGINS={name}"
        )


def make_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("jiayuan")
    pm.add_hookspecs(hookspecs)
    return pm


def load_plugins(pm: pluggy.PluginManager, allow: list[str] | None, disabled: list[str],
                 extra: list[ModuleType] | None = None) -> list[PluginInfo]:
    """Import and register the plugins of the entry-point group, honouring allow and disable lists.

    ``extra`` registers modules directly (tests, embedded use) under their ``PLUGIN_NAME``.
    """
    infos: list[PluginInfo] = []
    found = sorted(entry_points(group=GROUP), key=lambda ep: ep.name)
    for ep in found:
        if ep.name in disabled or (allow is not None and ep.name not in allow):
            continue
        try:
            module = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({ep.value}) failed to import: {exc!r}; "
                f"fix it or disable it with JIAYUAN_DISABLED_PLUGINS={ep.name}"
            ) from exc
        infos.append(_register(pm, ep.name, module, dist=ep.dist))
    for module in extra or []:
        name = getattr(module, "PLUGIN_NAME", module.__name__)
        if name not in disabled:
            infos.append(_register(pm, name, module, dist=None))
    return infos


def _register(pm, name, module, dist) -> PluginInfo:
    requires = getattr(module, "JIAYUAN_REQUIRES", "")
    _check_compatible(name, requires)
    if pm.get_plugin(name) is None:
        pm.register(module, name=name)
    hooks = sorted(
        hc.name for hc in pm.get_hookcallers(module) or [] if not hc.name.startswith("_")
    )
    return PluginInfo(
        name=name,
        module=module,
        version=getattr(module, "__version__", None) or (dist.version if dist else "0"),
        description=getattr(module, "DESCRIPTION", None) or _first_line(module.__doc__),
        author=getattr(module, "__author__", ""),
        requires=requires,
        builtin=module.__name__.startswith("plugins."),
        hooks=hooks,
    )


def _first_line(doc: str | None) -> str:
    lines = (doc or "").strip().splitlines()
    return lines[0] if lines else ""


def register_internal(pm: pluggy.PluginManager, dotted: str) -> None:
    """Core areas that implement hooks (e.g. tickets) register like plugins, under ``core.<area>``."""
    module = importlib.import_module(dotted)
    pm.register(module, name=dotted)


def hook():
    """The hook relay of the current application: ``hook().ticket_created(ticket=t)``."""
    return current_app.extensions["jiayuan.pm"].hook


def plugin_infos() -> list[PluginInfo]:
    return current_app.extensions["jiayuan.plugins"]


def collect(name: str, **kwargs) -> list:
    """Call a collecting hook and flatten list results into one list."""
    results = getattr(hook(), name)(**kwargs)
    out: list = []
    for result in results:
        if isinstance(result, list | tuple):
            out.extend(result)
        elif result is not None:
            out.append(result)
    return out
