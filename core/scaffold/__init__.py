"""``jiayuan plugin new NAME``: a working plugin package to start from, outside the project tree."""

from __future__ import annotations

import datetime as dt
import importlib.util
import keyword
import re
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, StrictUndefined
from packaging.version import Version

TEMPLATE = Path(__file__).parent / "template"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# The scaffold's own placeholders, so the Jinja of the generated templates passes through untouched.
_env = Environment(variable_start_string="[[", variable_end_string="]]", block_start_string="[%",
                   block_end_string="%]", comment_start_string="[#", comment_end_string="#]",
                   keep_trailing_newline=True, undefined=StrictUndefined)


class ScaffoldError(ValueError):
    pass


def name_problem(name: str) -> str | None:
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", name) or keyword.iskeyword(name):
        return "use 2–40 lowercase letters, digits or underscores, starting with a letter"
    if name in ("core", "plugins", "tests", "jiayuan") or importlib.util.find_spec(name) is not None:
        return f"a Python module named {name!r} already exists here; choose another name"
    return None


def _inside_project(target: Path) -> bool:
    target = target.resolve()
    return any(target == p or p in target.parents for p in (PROJECT_ROOT / "core", PROJECT_ROOT / "plugins")) or (
        target == PROJECT_ROOT)


def generate(name: str, directory: Path, *, title: str | None = None, title_zh: str | None = None,
             author: str = "Plugin author", host_version: str | None = None) -> Path:
    """Write the package ``directory/<name>/`` and return its path."""
    from core.plugins import host_version as current

    if problem := name_problem(name):
        raise ScaffoldError(f"invalid plugin name {name!r}: {problem}")
    root = Path(directory) / name
    if _inside_project(Path(directory)):
        raise ScaffoldError("create plugins outside the Jiayuan source tree (use --dir)")
    if root.exists():
        raise ScaffoldError(f"{root} already exists")
    version = Version(host_version or current())
    title = title or name.replace("_", " ").capitalize()
    context = {"name": name, "dashed": name.replace("_", "-"), "title": title, "title_zh": title_zh or title,
               "author": author, "today": dt.date.today().isoformat(),
               "host_major_minor": f"{version.major}.{version.minor}",
               "host_next": f"{version.major}.{version.minor + 1}"}
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = str(source.relative_to(TEMPLATE))[: -len(".tmpl")].replace("__name__", name)
        out = root / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(_env.from_string(source.read_text()).render(**context))
    (root / "tests" / "__init__.py").touch()
    _compile_catalogues(root / name / "translations")
    return root


def _compile_catalogues(folder: Path) -> None:
    for po in folder.rglob("*.po"):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog)
