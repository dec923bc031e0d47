"""Screenshots of the real app for the README and the teaching guide, taken in headless Chromium.

    FLOWER_DATA_DIR=../shared/flower_photos python docs/screenshots.py   # docs/screenshots/, 16 pictures
    python docs/screenshots.py --all --out /tmp/tabs      # every tab the app has, as it opens

Launches the app on a free local port, opens it in Debian's chromium (Playwright's own browser
download does not work here) and saves small palette PNGs (30-190 KB each; tests/test_docs.py keeps
every picture the docs show under 200 KB). By default, the teaching guide's pictures into
docs/screenshots/: each tab after its main action (a one-epoch training, never the long comparison), in
Spanish on a projector (1366×768, what the screen shows) and in English on a phone (390×844, the
page's first 1,800 px), driven as tests/axe_audit.py drives the audit (the dataset's photos make the
Examples and the random validation photo). `--all` clicks every tab the page has, by name, whatever
tabs this version of the app has.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT = {"width": 1366, "height": 768}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def start_app() -> tuple[object, str]:
    """The whole app, as `python app.py` builds it, on a free port; returns (demo, url)."""
    sys.path.insert(0, str(ROOT))
    import app

    demo = app.build_demo()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.launch(demo, server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


def save_small(page, path: Path, colours: int = 256) -> int:
    """The visible part of the page as a palette PNG; returns its size in bytes."""
    full = path.with_suffix(".full.png")
    page.screenshot(path=str(full))
    with Image.open(full) as picture:
        picture.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    full.unlink()
    return path.stat().st_size


def open_page(browser, url: str, language: str):
    page = browser.new_page(locale=language, extra_http_headers={"Accept-Language": language}, viewport=VIEWPORT)
    page.set_default_timeout(120_000)
    page.goto(url)
    page.get_by_role("tab").first.wait_for()
    return page


def shoot_every_tab(browser, url: str, out: Path, language: str) -> list[Path]:
    page = open_page(browser, url, language)
    names = [name.strip() for name in page.get_by_role("tab").all_inner_texts()]
    paths = []
    for number, name in enumerate(names, 1):
        page.get_by_role("tab", name=name, exact=True).click()
        page.wait_for_timeout(1500)
        path = out / f"tab-{number}-{name.lower().replace(' ', '-')}.png"
        print(f"{path}: {save_small(page, path):,} bytes")
        paths.append(path)
    page.close()
    return paths


GUIDE_SETUPS = (("es", (1366, 768), None), ("en", (390, 844), 1800))  # language, screen, page height kept


def shoot_guide(browser, url: str, out: Path) -> list[Path]:
    """One picture per tab and setup, after the tab's main action, as a class sees it."""
    from tests import axe_audit

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for language, viewport, page_height in GUIDE_SETUPS:
        page = axe_audit.open_app(browser, url, language, viewport)
        for tab in axe_audit.TABS:
            axe_audit.open_tab(page, language, tab)
            axe_audit.ACTIONS[tab](page, language)
            axe_audit.wait_idle(page)
            page.wait_for_timeout(800)  # pictures decode after the event ends
            page.evaluate("window.scrollTo(0, 0)")  # the tab as it opens, its result beside its controls
            path = out / f"{language}-{viewport[0]}-{tab}.png"
            if page_height:
                page.set_viewport_size({"width": viewport[0], "height": page_height})
                page.wait_for_timeout(300)
            print(f"{path}: {save_small(page, path, colours=128):,} bytes")
            if page_height:
                page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
            paths.append(path)
        page.close()
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--all", action="store_true", help="one picture of every tab as it opens, in --language")
    parser.add_argument("--language", choices=("es", "en"), default="en")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    demo, url = start_app()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                                 headless=True, args=CHROMIUM_ARGS)
            if args.all:
                shoot_every_tab(browser, url, args.out, args.language)
            else:
                shoot_guide(browser, url, args.out)
            browser.close()
    finally:
        demo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
