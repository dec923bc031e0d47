"""Issue 35, goal 4: axe-core finds no critical and no serious WCAG 2.1 A/AA violation on any of the
nine tabs, before and after the tab's main action, in Spanish on a projector (1366x768) and in English
on a phone (390x844).

One page per language and screen goes through the nine tabs in order (tests/axe_audit.py: open the
tab, audit, do its main action, audit again); the tests below read that page's results, so the whole
file drives two pages. The same audit runs by hand against any running app:
    python -m tests.axe_audit --url http://127.0.0.1:7860/ --json axe.json
"""

from __future__ import annotations

import pytest

from tests import axe_audit
from tests.test_browser import browser, pytestmark  # noqa: F401  (the shared Chromium, the browser mark, its skip)

pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed (requirements-dev.txt)")

PENDING = []  # every cell must pass (issue 35); a cell that regresses may be marked xfail here, with its reason

SETUPS = {axe_audit.setup_name(lang, viewport): (lang, viewport) for lang, viewport in axe_audit.SETUPS}
CELLS = [pytest.param(setup, tab, moment, marks=PENDING, id=f"{setup}-{tab}-{moment}")
         for setup in SETUPS for tab in axe_audit.TABS for moment in ("before", "after")]


@pytest.fixture(scope="module")
def audited(app_url, browser):  # noqa: F811  (the imported fixture)
    """audited(setup) -> {tab: axe_audit.audit_tab's result}: each setup's page is driven once."""
    done: dict[str, dict | BaseException] = {}

    def results(setup: str) -> dict:
        if setup not in done:
            try:
                done[setup] = axe_audit.audit_app(browser, app_url, *SETUPS[setup])
            except Exception as problem:  # noqa: BLE001  (every test of this setup reports it)
                done[setup] = problem
        if isinstance(done[setup], BaseException):
            raise done[setup]
        return done[setup]

    return results


@pytest.mark.parametrize("setup", list(SETUPS))
def test_the_audit_reaches_every_tab_and_does_each_action(audited, setup):
    """The instrument itself: each tab opened and its main action finished without an error or an
    error toast (else an "after" audit would look at the wrong page)."""
    results = audited(setup)
    problems = {tab: result["action_error"] or result["toasts"] for tab, result in results.items()
                if result["action_error"] or result["toasts"]}
    assert list(results) == list(axe_audit.TABS)
    assert not problems, f"{setup}: actions that did not complete: {problems}"


@pytest.mark.parametrize("setup,tab,moment", CELLS)
def test_no_serious_or_critical_violations(audited, setup, tab, moment):
    violations = audited(setup)[tab][moment]
    assert not violations, (f"{setup}, tab {tab}, {moment} its main action: axe-core found "
                            f"{sum(v.count for v in violations)} serious/critical violation(s):\n"
                            + axe_audit.describe(violations))
