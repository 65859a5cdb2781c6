import subprocess
import sys

import pytest

from core.scaffold import ScaffoldError, generate, name_problem


def test_generates_a_complete_package_outside_the_project(tmp_path):
    root = generate("lift_check", tmp_path, title="Lift check", title_zh="电梯年检", author="Tester")
    expected = ["pyproject.toml", "README.md", "lift_check/__init__.py", "lift_check/models.py",
                "lift_check/views.py", "lift_check/api.py", "lift_check/services.py",
                "lift_check/templates/lift_check/index.html", "lift_check/migrations/versions/0001_initial.py",
                "lift_check/translations/zh/LC_MESSAGES/messages.po",
                "lift_check/translations/zh/LC_MESSAGES/messages.mo", "tests/test_lift_check.py"]
    for relative in expected:
        assert (root / relative).is_file(), relative
    pyproject = (root / "pyproject.toml").read_text()
    assert 'lift_check = "lift_check"' in pyproject and '"jiayuan>=0.1,<0.2"' in pyproject
    assert 'JIAYUAN_REQUIRES = ">=0.1,<0.2"' in (root / "lift_check/__init__.py").read_text()
    assert 'msgstr "电梯年检"' in (root / "lift_check/translations/zh/LC_MESSAGES/messages.po").read_text()
    for py in root.rglob("*.py"):
        compile(py.read_text(), str(py), "exec")
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", str(root)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize("bad", ["Parcel", "1abc", "a", "core", "flask", "class", "with-dash"])
def test_bad_names_are_refused(bad):
    assert name_problem(bad)


def test_refuses_the_project_tree_and_existing_folders(tmp_path):
    from core.scaffold import PROJECT_ROOT

    with pytest.raises(ScaffoldError, match="outside"):
        generate("lift_check", PROJECT_ROOT)
    generate("lift_check", tmp_path)
    with pytest.raises(ScaffoldError, match="exists"):
        generate("lift_check", tmp_path)
