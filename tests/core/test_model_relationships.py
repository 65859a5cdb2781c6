"""Every relationship in core and the bundled plugins names its target so that a same-named model in
another plugin cannot make it ambiguous: plugins are written by different authors and share one
declarative registry, where a bare class name is looked up across all of them."""

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent("""
    import importlib, importlib.util, pkgutil, sys, types
    from sqlalchemy import inspect
    from sqlalchemy.orm import configure_mappers
    import core, plugins
    from core import Model

    modules = []
    for package in (core, plugins):
        for info in pkgutil.iter_modules(package.__path__):
            name = f"{package.__name__}.{info.name}.models"
            if info.ispkg and importlib.util.find_spec(name) is not None:
                modules.append(importlib.import_module(name))
    names = {m.__name__ for m in modules}
    assert {"core.places.models", "plugins.fees.models", "plugins.drugfree.models"} <= names, names
    ours = [mapper for mapper in Model.registry.mappers if mapper.class_.__module__ in names]

    elsewhere = types.ModuleType("elsewhere_plugin")
    sys.modules["elsewhere_plugin"] = elsewhere
    elsewhere.Model = Model
    for i, cls_name in enumerate(sorted({mapper.class_.__name__ for mapper in ours})):
        exec(f"class {cls_name}(Model):\\n    __tablename__ = 'elsewhere_{i}'\\n", elsewhere.__dict__)
    configure_mappers()

    checked = 0
    for mapper in ours:
        for rel in mapper.relationships:
            target = rel.mapper.class_
            assert target.__module__ != "elsewhere_plugin", f"{mapper.class_.__module__}.{rel}"
            for clause in rel.order_by or ():
                for column in getattr(clause, "base_columns", ()):
                    assert not column.table.name.startswith("elsewhere_"), f"{rel} order_by"
            checked += 1
    assert checked >= 30, checked
    print("ok", checked)
""")


def test_relationships_survive_same_named_models_elsewhere():
    run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0 and run.stdout.startswith("ok"), run.stderr[-3000:]
