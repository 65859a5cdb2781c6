"""Every screen reads in Chinese: with the demo data, each demo account opens the pages its menu
leads to (the back-office home and dashboards, or the portal home and its cards) in Chinese, and

- the visible text has no English word left untranslated (codes, ids, product and format names
  aside: words in capitals, words joined to digits or underscores, ``<code>`` and ``translate="no"``);
- every message is read from the catalogue of the package whose code asks for it. A page reads the
  catalogue of the package serving it first (core/extensions.py), so a plugin's widget, card or menu
  label on a core page, or the core's menu on a plugin's page, reads wrong when the other catalogue
  has the same English with other Chinese ("Register": 房屋台账 in the core, 报名 in culture_events).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLES = ["admin", "company", "manager", "staff", "guard", "manager_b", "committee", "rc", "drugfree", "developer",
         "auditor", "owner", "tenant"]
# Latin words a Chinese page may show: the product's name, format names in mixed case
ALLOWED = {"Jiayuan", "Excel", "WebP"}
SKIPPED_ELEMENTS = {"script", "style", "code", "kbd", "samp", "textarea"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
# a run of Latin letters, digits and the characters of identifiers; letters-only runs are words
TOKEN = re.compile(r"[A-Za-z0-9_./@'’-]+")
WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")


class VisibleText(HTMLParser):
    """Text a reader sees (and link targets), without scripts, styles, code and untranslatable parts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, the class of the enclosing nav or section)
        self._skip: list[str] = []  # the element being skipped, once per nesting of it
        self._within: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self._skip:
            if tag == self._skip[0]:
                self._skip.append(tag)
            return
        if tag in VOID_ELEMENTS:
            self._attributes(tag, a)
            return
        if tag in SKIPPED_ELEMENTS or a.get("translate") == "no":
            self._skip.append(tag)
            return
        self._attributes(tag, a)
        if tag in ("nav", "section"):
            self._within.append(a.get("class") or "")
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], self._within[-1] if self._within else ""))

    def _attributes(self, tag, a):
        self.parts.extend(a[k] for k in SHOWN_ATTRIBUTES if a.get(k))
        if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
            self.parts.append(a["value"])

    def handle_endtag(self, tag):
        if self._skip:
            if tag == self._skip[0]:
                self._skip.pop()
            return
        if tag in ("nav", "section") and self._within:
            self._within.pop()

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def english_words(text: str) -> list[str]:
    out = []
    for token in TOKEN.findall(text):
        if re.match(r"\.\w", token):
            continue  # a file extension
        token = token.strip(".'’-/")
        if not token or re.search(r"[0-9_@/]|\w\.\w", token):
            continue  # an id, a number with its unit, a file name, a path
        out.extend(w for w in WORD.findall(token) if len(w) >= 3 and not w.isupper() and w not in ALLOWED)
    return out


# ---------------------------------------------------------------------------------------------
# Which package a message comes from
# ---------------------------------------------------------------------------------------------

@functools.cache
def _package_of(filename: str) -> str | None:
    try:
        parts = Path(filename).resolve().relative_to(ROOT).parts
    except ValueError:
        return None
    if parts[0] == "core":
        return "core"
    if parts[0] == "plugins" and len(parts) > 2:
        return f"plugins.{parts[1]}"
    return None


def _caller_package(skip: int) -> str | None:
    """The package of the nearest caller in the project: Python code, or a template (Jinja runs a
    template's code under the template's file name)."""
    frame = sys._getframe(skip)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.endswith(("core/extensions.py", "test_chinese_pages.py")):
            package = _package_of(name)
            if package:
                return package
        frame = frame.f_back
    return None


def _mark_module_level_lazy_strings() -> None:
    """Lazy strings made at import (menus, label dicts, settings, form labels) belong to the module
    holding them; those made later are marked by ``LazyString.__init__`` (patched in the test)."""
    from flask_babel.speaklater import LazyString

    seen: set[int] = set()

    def walk(value, package, depth):
        if id(value) in seen or depth > 4:
            return
        seen.add(id(value))
        if isinstance(value, LazyString):
            value.__dict__.setdefault("_jiayuan_origin", package)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v, package, depth + 1)
        elif isinstance(value, list | tuple | set | frozenset):
            for v in value:
                walk(v, package, depth + 1)
        elif isinstance(value, type) and value.__module__.startswith(("core.", "plugins.")):
            for v in vars(value).values():
                walk(v, package, depth + 1)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), package, depth + 1)
        elif type(value).__name__ == "UnboundField":  # a WTForms field declared on a form class
            walk(value.args, package, depth + 1)
            walk(value.kwargs, package, depth + 1)

    # the core's modules first: a plugin module may hold the core's labels it imported, never the reverse
    modules = sorted((name, module) for name, module in list(sys.modules.items())
                     if name == "core" or name.startswith(("core.", "plugins.")))
    for _name, module in sorted(modules, key=lambda m: not m[0].startswith("core")):
        package = _package_of(getattr(module, "__file__", None) or "")
        for value in list(vars(module).values()):
            walk(value, package, 0)


def _catalogues(app) -> dict[str, dict[str, str]]:
    from babel.messages.pofile import read_po

    out = {}
    for package, folder in app.extensions["jiayuan.translation_owners"].items():
        with (Path(folder) / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            out[package] = {(m.id if isinstance(m.id, str) else m.id[0]): (m.string if isinstance(m.string, str)
                                                                           else m.string[0])
                            for m in read_po(fh) if m.id and m.string}
    return out


UNKNOWN = object()


@pytest.fixture
def lookups(app, monkeypatch):
    """Every message looked up while the test runs: (msgid, package asking, package serving the page,
    what was read). A lazy string of unknown origin has None as its package."""
    from flask import has_request_context
    from flask_babel.speaklater import LazyString

    from core import extensions

    _mark_module_level_lazy_strings()
    seen: list[tuple[str, str | None, str, str]] = []
    packages = {folder: package for package, folder in app.extensions["jiayuan.translation_owners"].items()}

    class Recording:
        def __init__(self, translations, serving, origin):
            self._t, self._serving, self._origin = translations, serving, origin

        def _record(self, msgid, read):
            origin = _caller_package(3) if self._origin is UNKNOWN else self._origin
            seen.append((msgid, origin, self._serving, read))

        def ugettext(self, msgid):
            read = self._t.ugettext(msgid)
            self._record(msgid, read)
            return read

        def ungettext(self, singular, plural, n):
            self._record(singular, self._t.ungettext(singular, plural, 1))
            return self._t.ungettext(singular, plural, n)

        gettext, ngettext = ugettext, ungettext

        def __getattr__(self, name):
            return getattr(self._t, name)

    original_get = extensions._AppDomain.get_translations
    current_origin: list[str | None] = []

    def get_translations(self):
        serving = packages.get(extensions._serving_catalogue() if has_request_context() else None, "core")
        return Recording(original_get(self), serving, current_origin[-1] if current_origin else UNKNOWN)

    original_init, original_str = LazyString.__init__, LazyString.__str__

    def lazy_init(self, func, *args, **kwargs):
        original_init(self, func, *args, **kwargs)
        self._jiayuan_origin = _caller_package(2)

    def lazy_str(self):
        current_origin.append(self.__dict__.get("_jiayuan_origin"))
        try:
            return original_str(self)
        finally:
            current_origin.pop()

    monkeypatch.setattr(extensions._AppDomain, "get_translations", get_translations)
    monkeypatch.setattr(LazyString, "__init__", lazy_init)
    monkeypatch.setattr(LazyString, "__str__", lazy_str)
    return seen


# ---------------------------------------------------------------------------------------------
# The demo, and the pages each account reaches
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(app):
    """The demo data, loaded once for this module (a few seconds) and removed after it."""
    from sqlalchemy import select

    from core.auth.models import Account
    from core.database import db
    from core.demo import load_demo
    from core.testing import _empty_all_tables

    with app.app_context():
        load_demo()
        accounts = dict(db.session.execute(select(Account.username, Account.id)
                                           .where(Account.username.in_(ROLES))).all())
        db.session.remove()
    yield accounts
    with app.app_context():
        _empty_all_tables(db)
        app.extensions.pop("jiayuan.outbox", None)


def _open(client, url):
    response = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"}, follow_redirects=True)
    assert response.status_code == 200, url
    page = VisibleText()
    page.feed(response.get_data(as_text=True))
    return page


def _pages(client, portal: bool):
    """The home page, then every menu item (back office) or service card (portal) and, on the home
    page, the dashboards of each community and area and the first notice."""
    home = "/portal/" if portal else "/"
    first = _open(client, home)
    yield home, first
    wanted = []
    for href, within in first.links:
        path = href.split("#")[0]
        if not path.startswith("/") or path in (home, "/") or path.startswith(("/static", "/api")):
            continue
        if "mainnav" in within or "portal-section" in within or re.fullmatch(
                r"/(communities|areas)/\d+/dashboard|/portal/notices/\d+", path):
            wanted.append(path)
    notices = [p for p in wanted if p.startswith("/portal/notices/")]
    for url in dict.fromkeys(p for p in wanted if not p.startswith("/portal/notices/") or p == notices[0]):
        yield url, _open(client, url)


@pytest.mark.parametrize("role", ROLES)
def test_pages_read_in_chinese(app, demo, lookups, role):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(demo[role])
        sess["_fresh"] = True
    english, opened = defaultdict(set), []
    for url, page in _pages(client, portal=role in ("owner", "tenant")):
        opened.append(url)
        for part in page.parts:
            for word in english_words(part):
                english[url].add(f"{word!r} in {part[:80]!r}")
    assert len(opened) > 1, f"{role} reached no page beyond the home page"
    assert not english, f"untranslated English on the pages of {role}: " + "; ".join(
        f"{url}: {', '.join(sorted(words))}" for url, words in english.items())

    catalogues = _catalogues(app)
    wrong = set()
    for msgid, origin, serving, read in lookups:
        meant = catalogues.get(origin, {}).get(msgid)
        if origin != serving and meant is not None and read != meant:
            wrong.add(f"{msgid!r} of {origin} reads {read!r} on a page of {serving} (meant {meant!r})")
    assert not wrong, "messages read from another package's catalogue: " + "; ".join(sorted(wrong))


def test_the_check_sees_english_and_skips_codes():
    page = VisibleText()
    page.feed('<title>账单 · 家园</title><p>状态：open <code>fees.reminders</code> <b translate="no">admin</b></p>'
              '<p>ELEC 2.3 元/m²/月 · 导出 Excel（.xlsx）· g01guard000 · DEMO7 · security_guard.service</p>'
              '<input type="submit" value="Save"><input placeholder="搜索">')
    words = [w for part in page.parts for w in english_words(part)]
    assert words == ["open", "Save"]
