"""The project's dependency rules, one direction only: app.py -> flower_demo.tabs -> the core -> Keras/NumPy.

The core is in packages by stage, each importing only those before it in STAGES (the top-level
modules, config, i18n, errors, atomic, workarounds and the command line, are what every stage shares).
The core never imports gradio (so a notebook, the CLI and the tests can use it), tabs never import each
other (they share data through arguments and gr.State), and the light modules do not pull TensorFlow
in at import time."""

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
# What the tabs share, beside them in tabs/: a tab imports these and the core, never another tab.
SHARED_BY_TABS = {"__init__", "ui", "components", "inputs", "model_choice", "saliency_panel", "page_links", "waiting_line", "language_switch",
                  "theme"}
TAB_MODULES = sorted(p for p in TABS.glob("*.py") if p.stem not in SHARED_BY_TABS)


# The stages in the order a lesson meets them; each may import the ones before it, never one after.
STAGES = ("data", "model", "train", "look", "server", "tabs")
TOP_LEVEL = {"__init__", "__main__", "config", "recipes", "i18n", "errors", "atomic", "workarounds", "cli"}


def stage_of(module: str) -> str | None:
    """"data" for flower_demo.data.images, None for a top-level module or anything outside the package."""
    parts = module.split(".")
    return parts[1] if parts[0] == "flower_demo" and len(parts) > 1 and parts[1] in STAGES else None


def test_the_package_is_laid_out_by_stage():
    assert {p.stem for p in PACKAGE.glob("*.py")} == TOP_LEVEL
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(STAGES)
    assert {p.stem for p in (PACKAGE / "data").glob("*.py")} >= {"images", "photo_index", "photo_cache", "download"}
    assert {p.stem for p in TAB_MODULES} == {"kernels", "dataset", "augmentation", "training", "classify", "inside",
                                             "evaluate", "compare", "your_photos"}  # one module per tab


@pytest.mark.parametrize("path", [p for p in CORE_MODULES if p.parent != PACKAGE],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_stage_imports_only_the_stages_before_it(path):
    own = STAGES.index(path.parent.name)
    later = {name for name in imported_modules(path) if stage_of(name) and STAGES.index(stage_of(name)) > own}
    assert not later


@pytest.mark.parametrize("path", [p for p in CORE_MODULES if p.parent == PACKAGE and p.stem != "cli"],
                         ids=lambda p: p.name)
def test_the_shared_top_level_imports_no_stage(path):
    """The command line is the one top-level module that drives the stages; the others are what they share."""
    assert not {name for name in imported_modules(path) if stage_of(name)}


@pytest.mark.parametrize("path", CORE_MODULES, ids=lambda p: p.name)
def test_the_core_does_not_import_gradio(path):
    offending = {name for name in imported_modules(path) if name.split(".")[0] in ("gradio", "gradio_client")}
    offending |= {name for name in imported_modules(path) if name.startswith("flower_demo.tabs")}
    assert not offending


@pytest.mark.parametrize("path", sorted(TABS.glob("*.py")), ids=lambda p: p.name)
def test_tabs_do_not_import_each_other(path):
    """Neither a tab nor what the tabs share imports a tab."""
    tab_names = {f"flower_demo.tabs.{p.stem}" for p in TAB_MODULES}
    assert not (imported_modules(path) & tab_names)


def test_the_training_core_does_not_know_the_web_server():
    """The app hands a run its priority check (`before_batch`); the run does not import it."""
    assert "flower_demo.server.priority" not in imported_modules(PACKAGE / "train" / "training.py")


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
    ["flower_demo.look.kernels", "flower_demo.data.images"],
    ["flower_demo.config", "flower_demo.i18n", "flower_demo.data.photo_index", "flower_demo.data.photo_cache",
     "flower_demo.data.download", "flower_demo.data.dataset_overview", "flower_demo.atomic", "flower_demo.data.augment", "flower_demo.model.networks",
     "flower_demo.model.serving", "flower_demo.train.training", "flower_demo.look.evaluation", "flower_demo.cli", "flower_demo.look.inside",
     "flower_demo.train.cluster", "flower_demo.train.runs", "flower_demo.server.links", "flower_demo.model.model_files", "flower_demo.look.result_plots",
     "flower_demo.data.pipeline", "flower_demo.workarounds", "flower_demo.data.own_photos"],
], ids=["kernels+images", "rest of the core"])
def test_light_imports_do_not_load_tensorflow(modules):
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(m for m in ('tensorflow', 'keras', 'gradio', 'ray') if m in sys.modules)))\n")
    completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                               timeout=120, env=dict(os.environ, PYTHONPATH=str(PROJECT_ROOT)))
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == []
