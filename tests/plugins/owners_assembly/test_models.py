"""The plugin's relationships name their targets by module path: a same-named model in another plugin
(``Demand`` is defined here and in fees) must not make them ambiguous."""

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent("""
    import sys, types
    from sqlalchemy.orm import configure_mappers
    from core import Model
    from plugins.owners_assembly import models as m

    elsewhere = types.ModuleType("elsewhere_plugin")
    sys.modules["elsewhere_plugin"] = elsewhere
    elsewhere.Model = Model
    for name in ("Meeting", "AgendaItem", "Candidate"):
        exec(f"class {name}(Model):\\n    __tablename__ = 'elsewhere_{name.lower()}'\\n", elsewhere.__dict__)
    configure_mappers()
    assert m.Meeting.items.property.mapper.class_ is m.AgendaItem
    assert m.AgendaItem.meeting.property.mapper.class_ is m.Meeting
    assert m.AgendaItem.candidates.property.mapper.class_ is m.Candidate
    print("ok")
""")


def test_relationships_survive_same_named_models_elsewhere():
    run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
