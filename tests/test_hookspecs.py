"""The two meta-tests (after datasette's): every hook is documented — a real docstring in the
hookspec module and a section in docs/writing-a-plugin.md — and every hook is exercised by at
least one test."""
from __future__ import annotations

import inspect
import pathlib
import re

import pytest

from gridgov import hookspecs

ROOT = pathlib.Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
               if name.startswith("gridgov_") and hasattr(fn, "gridgov_spec"))


def test_the_hooks_are_found():
    assert {"gridgov_plugin_info", "gridgov_grid_levels", "gridgov_roles", "gridgov_settings_schema",
            "gridgov_load_demo"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_real_docstring(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    summary, _, body = doc.partition("\n\n")
    assert summary.endswith("."), "a one-sentence summary first"
    assert len(body.split()) >= 10, "then what it receives and returns, and when it is called"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_in_the_plugin_guide(hook):
    guide = (ROOT / "docs" / "writing-a-plugin.md").read_text(encoding="utf-8")
    assert re.search(rf"^#+ .*`{hook}`", guide, re.MULTILINE), f"no section for {hook} in docs/writing-a-plugin.md"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_exercised_by_a_test(hook):
    this = pathlib.Path(__file__).resolve()
    sources = [p for p in (ROOT / "tests").rglob("*.py")
               if p.resolve() != this and hook in p.read_text(encoding="utf-8")]
    assert sources, f"no test mentions {hook}"
