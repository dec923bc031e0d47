"""The project's dependency rules, one direction only: app.py -> flower_demo.tabs.* -> flower_demo.* ->
Keras/NumPy. The core never imports gradio (so a notebook, the CLI and the tests can use it), tabs never
import each other (they share data through arguments and gr.State), and the light modules do not pull
TensorFlow in at import time."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fake_flowers import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "flower_demo"
TABS = PACKAGE / "tabs"


def imported_modules(path: Path, root: Path = PROJECT_ROOT) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved against `root`)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


CORE_MODULES = sorted(p for p in PACKAGE.rglob("*.py") if TABS not in p.parents)
TAB_MODULES = sorted(p for p in TABS.glob("*.py") if p.name not in ("__init__.py", "ui.py", "components.py"))


def test_the_modules_exist():
    assert {p.name for p in CORE_MODULES} >= {"config.py", "images.py", "photo_index.py", "photo_cache.py", "download.py",
                                              "dataset_overview.py", "atomic.py", "kernels.py", "networks.py",
                                              "training.py", "cli.py", "i18n.py"}
    assert len(TAB_MODULES) >= 5


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: p.name)
def test_the_core_does_not_import_gradio(path):
    offending = {name for name in imported_modules(path) if name.split(".")[0] in ("gradio", "gradio_client")}
    offending |= {name for name in imported_modules(path) if name.startswith("flower_demo.tabs")}
    assert not offending


@pytest.mark.parametrize("path", TAB_MODULES, ids=lambda p: p.name)
def test_tabs_do_not_import_each_other(path):
    tab_names = {f"flower_demo.tabs.{p.stem}" for p in TAB_MODULES}
    assert not (imported_modules(path) & tab_names)


def test_the_training_core_does_not_know_the_web_server():
    """The app hands a run its priority check (`before_batch`); the run does not import it."""
    assert "flower_demo.priority" not in imported_modules(PACKAGE / "training.py")


def test_the_tests_do_not_import_the_benchmarks():
    """One direction: a benchmark may use the tests' helpers (tests/clients.py, tests/non_flowers.py), no test a
    benchmark's."""
    offending = {path.name for path in sorted((PROJECT_ROOT / "tests").glob("*.py"))
                 if any(name.split(".")[0] == "benchmarks" for name in imported_modules(path))}
    assert not offending


def test_imported_modules_sees_relative_and_from_imports(tmp_path):
    fake_root = tmp_path / "flower_demo" / "tabs"
    fake_root.mkdir(parents=True)
    fake = fake_root / "fake.py"
    fake.write_text("from . import kernels\nfrom .training import x\nfrom flower_demo.tabs import dataset\n"
                    "import gradio as gr\n")
    names = imported_modules(fake, root=tmp_path)
    assert {"flower_demo.tabs.kernels", "flower_demo.tabs.training", "flower_demo.tabs.dataset", "gradio"} <= names


@pytest.mark.parametrize("modules", [
    ["flower_demo.kernels", "flower_demo.images"],
    ["flower_demo.config", "flower_demo.i18n", "flower_demo.photo_index", "flower_demo.photo_cache",
     "flower_demo.download", "flower_demo.dataset_overview", "flower_demo.atomic", "flower_demo.augment", "flower_demo.networks",
     "flower_demo.serving", "flower_demo.training", "flower_demo.evaluation", "flower_demo.cli", "flower_demo.inside",
     "flower_demo.cluster", "flower_demo.runs", "flower_demo.links", "flower_demo.model_files", "flower_demo.result_plots",
     "flower_demo.pipeline", "flower_demo.workarounds"],
], ids=["kernels+images", "rest of the core"])
def test_light_imports_do_not_load_tensorflow(modules):
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(m for m in ('tensorflow', 'keras', 'gradio', 'ray') if m in sys.modules)))\n")
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                               timeout=120, env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == []
