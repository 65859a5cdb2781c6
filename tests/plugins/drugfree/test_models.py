"""The plugin's relationships name their targets by module path: a same-named model in another plugin
(several plugins define an ``Incident`` or a ``Demand``) must not make them ambiguous."""

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent("""
    import sys, types
    from sqlalchemy.orm import configure_mappers
    from core import Model
    from plugins.drugfree import models as m

    elsewhere = types.ModuleType("elsewhere_plugin")
    sys.modules["elsewhere_plugin"] = elsewhere
    elsewhere.Model = Model
    for name in ("Case", "StatusChange", "Relapse", "Aftercare", "Visit"):
        exec(f"class {name}(Model):\\n    __tablename__ = 'elsewhere_{name.lower()}'\\n", elsewhere.__dict__)
    configure_mappers()
    targets = {"statuses": m.StatusChange, "relapses": m.Relapse, "aftercare": m.Aftercare}
    for attr, target in targets.items():
        assert getattr(m.Case, attr).property.mapper.class_ is target, attr
    assert m.Aftercare.visits.property.mapper.class_ is m.Visit
    assert m.StatusChange.case.property.mapper.class_ is m.Case
    assert m.Visit.aftercare.property.mapper.class_ is m.Aftercare
    print("ok")
""")


def test_relationships_survive_same_named_models_elsewhere():
    run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
