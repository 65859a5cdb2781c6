"""The plugin author guide keeps up with the code: every hook and every public name documented."""

import re
from pathlib import Path

import core
from core import hookspecs

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text()


def hook_names() -> set[str]:
    return {name for name, fn in vars(hookspecs).items()
            if callable(fn) and hasattr(fn, "jiayuan_spec")}


def test_every_hookspec_has_a_section_in_the_guide():
    documented = set(re.findall(r"^### `([a-z_]+)\(", GUIDE, flags=re.M))
    missing = hook_names() - documented
    assert not missing, f"hooks without a section in docs/plugins.md: {sorted(missing)}"
    assert not documented - hook_names(), f"sections for hooks that do not exist: {sorted(documented - hook_names())}"


def test_every_hookspec_has_a_docstring():
    assert all((getattr(hookspecs, name).__doc__ or "").strip() for name in hook_names())


def test_public_api_table_matches_core_all():
    section = GUIDE.split("## Public API", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for first_cell in re.findall(r"^\| (.+?) \|", section, flags=re.M):
        documented.update(re.findall(r"`([A-Za-z_]+)`", first_cell))
    assert documented == set(core.__all__), (
        f"undocumented: {sorted(set(core.__all__) - documented)}; "
        f"documented but not exported: {sorted(documented - set(core.__all__))}")
