"""Issue 35, goal 4: axe-core's serious and critical WCAG 2.1 A/AA violations, tab by tab.

Opens the app in headless Chromium in one language at one screen size (?lang=es at 1366x768 and
?lang=en at 390x844 by default), and for each of the nine tabs in the app's order: opens the tab,
waits for Gradio to be idle, runs axe-core (WCAG 2.0/2.1 A and AA rules only), does the tab's main
action (a short one: a one-epoch training, never the long comparison; two classes of photos added by
upload in Your photos), waits again and runs axe-core again. One page goes through all nine tabs, so a
tab is audited in the state a student reaches it in (Classify after a training, Evaluate with that model).

    python -m tests.axe_audit --url http://127.0.0.1:7860/ [--json out.json] [--shots DIR]
        [--only es@1366x768] [--tabs kernels,training] [--no-actions]

prints the serious and critical node counts by rule, per language and screen, per tab, before and
after the action; --json writes the full details (targets, HTML snippets, axe's failure summaries).
The browser tests (tests/test_accessibility.py) use the same functions.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path
from typing import NamedTuple

from flower_demo.i18n import TEXTS

TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")  # WCAG 2.1 A and AA; no best-practice rules
SEVERE = ("critical", "serious")
SETUPS = (("es", (1366, 768)), ("en", (390, 844)))  # the two: Spanish on a projector, English on a phone
TABS = ("kernels", "dataset", "augmentation", "training", "classify", "inside", "compare", "evaluate",
        "own")  # app order
TAB_LABEL_KEYS = {"kernels": "tab_kernels", "dataset": "tab_dataset", "augmentation": "tab_augment",
                  "training": "tab_training", "classify": "tab_classify", "inside": "tab_inside",
                  "compare": "tab_compare", "evaluate": "tab_evaluate", "own": "tab_own"}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

# Gradio's status tracker while an event runs (tests/test_browser_results.py waits on `.pending` too).
BUSY = ".pending, .generating, .eta-bar, .progress-text"
IDLE_JS = f"() => !document.querySelector({BUSY!r})"
SETTLE_S = 0.6  # idle this long (no event started in between) counts as idle
ACTION_TIMEOUT_MS = 180_000  # a one-epoch training or an evaluation on a loaded machine


class Violation(NamedTuple):
    rule: str  # axe's rule id, e.g. "color-contrast"
    impact: str  # "critical" or "serious"
    count: int  # how many elements fail it
    nodes: list  # each offending element (the first `keep`): {"target": [...], "html": "...", "summary": "..."}
    help: str = ""


def setup_name(lang: str, viewport: tuple[int, int]) -> str:
    return f"{lang}@{viewport[0]}x{viewport[1]}"


def text(lang: str, key: str) -> str:
    return TEXTS[lang][key]


def before_placeholder(template: str) -> str:
    """The fixed start of a translated text with {placeholders}, without its Markdown marks: what the
    page shows for certain ("Most likely: **{label}**…" -> "Most likely:")."""
    return template.split("{", 1)[0].rstrip("*_` ").strip()


# --- axe-core ---------------------------------------------------------------------------------------

def audit(page, context=None, impacts=SEVERE, tags=TAGS, keep: int | None = None) -> list[Violation]:
    """axe-core's violations of the WCAG 2.1 A/AA rules on `page` as it is now (hidden tabs and closed
    accordions are not in the accessibility tree and are skipped), those of the given impacts only,
    each with its first `keep` offending elements (all by default)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": list(tags)}, "resultTypes": ["violations"]}
    results = Axe().run(page, context=context, options=options).response
    found = []
    for violation in results["violations"]:
        if violation.get("impact") not in impacts:
            continue
        nodes = [{"target": node.get("target"), "html": (node.get("html") or "")[:300],
                  "summary": (node.get("failureSummary") or "")[:500]} for node in violation["nodes"][:keep]]
        found.append(Violation(violation["id"], violation["impact"], len(violation["nodes"]), nodes,
                               violation.get("help", "")))
    return sorted(found, key=lambda v: (SEVERE.index(v.impact) if v.impact in SEVERE else 9, v.rule))


def counts(violations: list[Violation]) -> dict[str, int]:
    """{rule id (impact): offending elements}."""
    return {f"{v.rule} ({v.impact})": v.count for v in violations}


def describe(violations: list[Violation], nodes: int = 3) -> str:
    """A failure message: each rule, its impact and count, and a few offending targets and snippets."""
    lines = []
    for v in violations:
        lines.append(f"{v.rule} [{v.impact}] x{v.count}: {v.help}")
        for node in v.nodes[:nodes]:
            lines.append(f"    {node['target']}  {node['html'][:140]}")
    return "\n".join(lines)


# --- driving the app ---------------------------------------------------------------------------------

def wait_idle(page, timeout_ms: int = ACTION_TIMEOUT_MS, settle_s: float = SETTLE_S) -> None:
    """Returns once no Gradio event shows as running, twice in a row `settle_s` apart (a chained
    event may start just after the last one ends)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        page.wait_for_function(IDLE_JS, timeout=max(1_000, int(1000 * (deadline - time.monotonic()))))
        page.wait_for_timeout(int(1000 * settle_s))
        if page.evaluate(IDLE_JS) or time.monotonic() > deadline:
            return


def open_app(browser, url: str, lang: str, viewport: tuple[int, int]):
    """A new page on the app at `url?lang=…`, in a browser of that language, once the tab bar is
    relabelled in it and the page's load events are done."""
    page = browser.new_page(locale=lang, extra_http_headers={"Accept-Language": lang},
                            viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True)
    page.set_default_timeout(60_000)
    separator = "&" if "?" in url else "?"
    page.goto(f"{url}{separator}lang={lang}")
    for tab in TABS:
        tab_button(page, lang, tab).wait_for()
    wait_idle(page)
    return page


def tab_button(page, lang: str, tab: str):
    return page.get_by_role("tab", name=text(lang, TAB_LABEL_KEYS[tab]), exact=True)


def open_tab(page, lang: str, tab: str) -> None:
    """Clicks the tab and waits for what opening it starts (Augmentation, Inside and Compare draw)."""
    tab_button(page, lang, tab).click()
    page.wait_for_function("el => el.getAttribute('aria-selected') === 'true'",
                           arg=tab_button(page, lang, tab).element_handle())
    page.wait_for_timeout(300)  # a tab.select event has started by now
    wait_idle(page)


def _button(page, lang: str, key: str):
    return page.get_by_role("button", name=text(lang, key), exact=True)


def _changed_src(page, selector: str, before: str | None, timeout_ms: int = ACTION_TIMEOUT_MS) -> None:
    page.wait_for_function("([sel, old]) => { const img = document.querySelector(sel);"
                           " return img && img.getAttribute('src') && img.getAttribute('src') !== old; }",
                           arg=[selector, before], timeout=timeout_ms)


def _src(page, selector: str) -> str | None:
    return page.evaluate("sel => { const img = document.querySelector(sel); return img && img.getAttribute('src'); }",
                         selector)


def act_kernels(page, lang: str) -> None:
    """Chooses Sobel X in the kernel list and presses Apply."""
    before = _src(page, "#filtered img")
    page.get_by_label(text(lang, "kernel"), exact=True).first.click()
    page.get_by_role("option", name=text(lang, "kernel_sobel_x"), exact=True).click()
    _changed_src(page, "#filtered img", before)
    wait_idle(page)
    _button(page, lang, "convolve_button").click()
    page.wait_for_timeout(300)


def act_dataset(page, lang: str) -> None:
    """Loads the dataset: its summary, two figures, the batch's shapes."""
    _button(page, lang, "dataset_button").click()
    summary = text(lang, "dataset_summary")  # "**{count}** photos in {classes} classes. …"
    words = summary.split("**{count}**", 1)[1].split("{classes}", 1)[0].strip()  # "photos in"
    page.get_by_text(re.compile(re.escape(words) + r" \d+")).first.wait_for(timeout=ACTION_TIMEOUT_MS)


def act_augmentation(page, lang: str) -> None:
    """Nine other variations (a new seed)."""
    before = _src(page, "#augmented img")
    _button(page, lang, "augment_button").click()  # waits while it reads "loading" (disabled)
    _changed_src(page, "#augmented img", before)


def act_training(page, lang: str) -> None:
    """A one-epoch run of the default preset (the walkthrough's way of making the slider hold 1)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    label = text(lang, "epochs")
    epochs = page.locator(f'input[aria-label="number input for {label}"]')
    slider = page.get_by_label(f"range slider for {label}", exact=True)
    for _ in range(6):
        epochs.fill("1")
        epochs.press("Enter")
        try:
            page.wait_for_function("el => el.value === '1'", arg=slider.element_handle(), timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        raise AssertionError(f"the epochs slider never held 1: {slider.input_value()!r}")
    _button(page, lang, "train_button").click()
    page.get_by_text(before_placeholder(text(lang, "status_finished_one"))).first.wait_for(timeout=ACTION_TIMEOUT_MS)


def act_classify(page, lang: str) -> None:
    """Classifies the first Example photo (a click on it classifies), then presses Classify again."""
    sentence = before_placeholder(text(lang, "classify_sentence"))  # "Most likely:"
    page.locator("#classify-examples button.gallery-item").first.click()
    page.get_by_text(sentence).first.wait_for(timeout=ACTION_TIMEOUT_MS)
    wait_idle(page)
    _button(page, lang, "classify_button").click()
    page.wait_for_timeout(300)


def act_inside(page, lang: str) -> None:
    """Look inside: the feature maps, the learned filters and Grad-CAM again."""
    _button(page, lang, "inside_button").click()
    page.wait_for_timeout(300)
    page.locator("#feature-maps img").wait_for(timeout=ACTION_TIMEOUT_MS)


def act_compare(page, lang: str) -> None:
    """Ticks the first listed run again to overlay its curves (when there is one), then prepares the model's
    download. The comparison itself (two trainings) is left alone: too long for an audit."""
    boxes = page.locator("input[type=checkbox]").filter(visible=True)
    runs = page.get_by_text(text(lang, "runs_chosen"), exact=True).filter(visible=True)
    if runs.count():
        group = runs.first.locator("xpath=ancestor::*[.//input[@type='checkbox']][1]")
        boxes = group.locator("input[type=checkbox]")
    if boxes.count():  # the newest run comes ticked: untick and tick it again (each redraws the chart)
        for _ in range(2 if boxes.first.is_checked() else 1):
            boxes.first.click()
            page.wait_for_timeout(300)
            wait_idle(page)
    _button(page, lang, "export_button").click()
    page.locator("#export-file a").first.wait_for(timeout=ACTION_TIMEOUT_MS)


def act_evaluate(page, lang: str) -> None:
    """Evaluates the model on the validation photos: the matrix, the numbers, the surest mistakes."""
    _button(page, lang, "evaluate_button").click()
    page.locator("#confusion-matrix img").wait_for(timeout=ACTION_TIMEOUT_MS)


# Your photos: two classes a student might make, named in the page's language, and how many photos
# each gets (enough that no "few photos" warning shows: the tab as a class sees it once it has begun).
OWN_CLASSES = {"es": (("círculo", "ellipse"), ("cuadrado", "rectangle")),
               "en": (("circle", "ellipse"), ("square", "rectangle"))}
OWN_PHOTOS_PER_CLASS = 12


def _own_counts(page) -> dict:
    return page.evaluate("() => Object.fromEntries([...document.querySelectorAll('#own-summary tbody tr')]"
                         ".map(row => [...row.cells].map(cell => cell.innerText.trim())))")


def act_own(page, lang: str) -> None:
    """Adds photos to two classes by file upload: a class name typed, several synthetic photos sent at
    once, "Add to the class" (the webcam needs a camera, which the audit's browser has not)."""
    import shutil
    import tempfile

    from tests.test_own_photos_app import write_photos

    folder = Path(tempfile.mkdtemp(prefix="axe-own-"))
    try:
        wanted = dict(_own_counts(page))
        for name, shape in OWN_CLASSES[lang]:
            paths = write_photos(folder / shape, shape, OWN_PHOTOS_PER_CLASS)
            page.locator("#own-class textarea, #own-class input").first.fill(name)
            page.locator("#own-files input[type=file]").set_input_files(paths)
            for path in paths:  # each file listed: uploaded, so the click sends them all
                page.locator("#own-files").get_by_text(Path(path).stem).first.wait_for(timeout=ACTION_TIMEOUT_MS)
            _button(page, lang, "own_add_button").click()
            wanted[name] = str(int(wanted.get(name, 0)) + len(paths))
            page.wait_for_function(
                "want => { const rows = [...document.querySelectorAll('#own-summary tbody tr')]"
                ".map(row => [...row.cells].map(cell => cell.innerText.trim()));"
                " return JSON.stringify(Object.fromEntries(rows)) === JSON.stringify(want); }",
                arg=wanted, timeout=ACTION_TIMEOUT_MS)
            wait_idle(page)
        page.locator("#own-samples img").last.wait_for(timeout=ACTION_TIMEOUT_MS)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


ACTIONS = {"kernels": act_kernels, "dataset": act_dataset, "augmentation": act_augmentation,
           "training": act_training, "classify": act_classify, "inside": act_inside, "compare": act_compare,
           "evaluate": act_evaluate, "own": act_own}


def toasts(page) -> list[str]:
    """The texts of the toasts on screen (an action's error shows as one)."""
    return [t.strip() for t in page.locator(".toast-body").all_inner_texts() if t.strip()]


def audit_tab(page, lang: str, tab: str, act: bool = True, shots: Path | None = None, prefix: str = "") -> dict:
    """{"before": [Violation], "after": [Violation] or None, "action_error": str or None, "toasts": [...]}
    for one tab: opened, audited, its main action done, audited again."""
    open_tab(page, lang, tab)
    if shots:
        page.screenshot(path=str(shots / f"{prefix}{tab}-before.png"), full_page=True)
    result = {"before": audit(page), "after": None, "action_error": None, "toasts": []}
    if act:
        try:
            ACTIONS[tab](page, lang)
            wait_idle(page)
        except Exception as problem:  # noqa: BLE001  (audited as it stands; the error goes in the report)
            result["action_error"] = f"{type(problem).__name__}: {str(problem).splitlines()[0] if str(problem) else ''}"
        result["toasts"] = toasts(page)
        if shots:
            page.screenshot(path=str(shots / f"{prefix}{tab}-after.png"), full_page=True)
        result["after"] = audit(page)
    return result


def audit_app(browser, url: str, lang: str, viewport: tuple[int, int], tabs=TABS, act: bool = True,
              shots: Path | None = None) -> dict:
    """Every tab of one page, in the app's order: {tab: audit_tab(...)}."""
    page = open_app(browser, url, lang, viewport)
    try:
        return {tab: audit_tab(page, lang, tab, act, shots, prefix=f"{setup_name(lang, viewport)}-") for tab in tabs}
    finally:
        page.close()


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def _jsonable(results: dict, full: bool) -> dict:
    out = {}
    for setup, tabs in results.items():
        out[setup] = {}
        for tab, result in tabs.items():
            entry = {}
            for moment in ("before", "after"):
                found = result[moment]
                if found is None:
                    continue
                entry[moment] = ({"counts": counts(found), "violations": [v._asdict() for v in found]} if full
                                 else counts(found))
            if result["action_error"]:
                entry["action_error"] = result["action_error"]
            if result["toasts"]:
                entry["toasts"] = result["toasts"]
            out[setup][tab] = entry
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the running app, e.g. http://127.0.0.1:7860/")
    parser.add_argument("--json", type=Path, help="write the full results (targets, snippets) here")
    parser.add_argument("--shots", type=Path, help="full-page screenshots before and after each action here")
    parser.add_argument("--only", help="one setup, e.g. es@1366x768 (default: " +
                        ", ".join(setup_name(*s) for s in SETUPS) + ")")
    parser.add_argument("--tabs", help="comma-separated tabs (default: all nine, in order)")
    parser.add_argument("--no-actions", action="store_true", help="audit each tab as opened only")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    setups = [s for s in SETUPS if not args.only or setup_name(*s) == args.only]
    if args.only and not setups:
        match = re.fullmatch(r"(es|en)@(\d+)x(\d+)", args.only)
        if not match:
            parser.error("--only takes LANG@WIDTHxHEIGHT, e.g. en@390x844")
        setups = [(match[1], (int(match[2]), int(match[3])))]
    tabs = tuple(args.tabs.split(",")) if args.tabs else TABS
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    results, started = {}, time.monotonic()
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            for lang, viewport in setups:
                results[setup_name(lang, viewport)] = audit_app(browser, args.url, lang, viewport, tabs,
                                                                not args.no_actions, args.shots)
        finally:
            browser.close()
    from axe_playwright_python.base import AXE_SCRIPT

    version = re.search(r"axe v([\d.]+)", AXE_SCRIPT)
    meta = {"url": args.url, "axe_core": version[1] if version else "?", "tags": list(TAGS), "impacts": list(SEVERE),
            "seconds": round(time.monotonic() - started, 1)}
    print(json.dumps({**meta, "results": _jsonable(results, full=False)}, indent=1, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps({**meta, "results": _jsonable(results, full=True)}, indent=1,
                                        ensure_ascii=False))
    total = sum(v.count for tabs_ in results.values() for r in tabs_.values()
                for found in (r["before"], r["after"] or []) for v in found)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
