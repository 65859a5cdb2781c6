"""Chinese first: every message in the code has a Chinese translation in its catalogue."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def catalogue_folders():
    folders = [ROOT / "core"] + sorted(p for p in (ROOT / "plugins").iterdir() if p.is_dir() and
                                       (p / "translations").is_dir())
    return folders


@pytest.mark.parametrize("folder", catalogue_folders(), ids=lambda p: p.name)
def test_every_message_has_a_chinese_translation(folder):
    po = folder / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    assert po.exists(), f"{po} is missing: run scripts/i18n.py update {folder.relative_to(ROOT)}"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    # a plural entry's translation is a tuple of forms: ('',) is untranslated though not empty
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    used = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(str(folder), METHODS, keywords=KEYWORDS):
        used.add(message if isinstance(message, str) else message[0])
    missing = sorted(used - translated)
    assert not missing, f"untranslated in {folder.name}: {missing[:20]}"


def test_no_message_is_translated_inside_an_f_string():
    """Extraction skips a ``_()`` written inside an f-string: the message never reaches the catalogue
    and the page shows it in English. Translate a whole format string instead:
    ``_("%(name)s (whole area)", name=area.name)``."""
    import ast

    found = []
    for folder in catalogue_folders():
        for path in sorted(folder.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.JoinedStr):
                    continue
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in KEYWORDS:
                        found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert not found, f"gettext inside an f-string (not extracted): {found}"
