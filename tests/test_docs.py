"""The README and docs/: every relative link and #anchor leads somewhere, pictures exist and stay small,
and the README's front matter and two commands agree with requirements.txt and .ci/run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

import pytest

from tests.fake_flowers import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
PAGES = [README, *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
MAX_PICTURE_BYTES = 200_000  # a screenshot reduced to 256 colours is 100-160 KB; a Space clones it all
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:img|a)\s[^>]*?(?:src|href)=\"([^\"]+)\"", re.IGNORECASE)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def without_code(text: str) -> str:
    return INLINE_CODE.sub("", FENCE.sub("", text))


def link_targets(text: str) -> list[str]:
    """Every link and picture target in Markdown or HTML outside code, in order."""
    prose = without_code(text)
    return MARKDOWN_LINK.findall(prose) + HTML_LINK.findall(prose)


def github_slug(heading: str) -> str:
    """The anchor GitHub (and the Hugging Face hub) give a heading: lower case, punctuation dropped
    (letters with accents, digits, `_` and `-` kept), each space a hyphen."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading counts by its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> Iterator[str]:
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", page.read_text())):
        slug = github_slug(heading)
        seen[slug] = seen.get(slug, -1) + 1
        yield slug if seen[slug] == 0 else f"{slug}-{seen[slug]}"


def relative_links(page: Path) -> list[tuple[str, Path, str]]:
    """(link as written, the file it names, its #anchor) for every link that is not to the web."""
    found = []
    for target in link_targets(page.read_text()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:, data:
            continue
        path, _, anchor = target.partition("#")
        found.append((target, (page.parent / unquote(path)).resolve() if path else page, unquote(anchor)))
    return found


def test_the_link_reader_sees_links_pictures_and_anchors_but_not_code():
    text = ('See [the card](docs/model-card.md#on-the-held-out-test-set "title") and ![a](docs/a.png).\n'
            '<img src="docs/b.png" width="49%"> [web](https://example.org) `[not](a-link.md)`\n'
            "```bash\n[neither](this.md)\n```\n")
    assert link_targets(text) == ["docs/model-card.md#on-the-held-out-test-set", "docs/a.png",
                                  "https://example.org", "docs/b.png"]
    assert github_slug("The shipped model (`assets/flower_cnn.keras`)") == "the-shipped-model-assetsflower_cnnkeras"
    assert github_slug("1. Kernels (minutos 3–13)") == "1-kernels-minutos-313"
    assert github_slug("Español") == "español"


def test_the_readme_links_to_every_page_in_docs():
    linked = {path for _, path, _ in relative_links(README)}
    assert set(PAGES[1:]) <= linked


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading(page):
    links = relative_links(page)
    for target, path, anchor in links:
        assert path.exists(), f"{page.name}: {target} names a file that does not exist"
        assert PROJECT_ROOT in path.parents or path == PROJECT_ROOT, f"{page.name}: {target} leaves the repository"
        if anchor:
            assert path.suffix == ".md", f"{page.name}: {target}: an anchor into a file that is not Markdown"
            assert anchor in set(anchors(path)), f"{page.name}: {target}: no heading makes #{anchor}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_pictures_exist_and_are_small(page):
    for target, path, _ in relative_links(page):
        if path.suffix.lower() in PICTURE_SUFFIXES:
            assert path.is_file(), f"{page.name}: the picture {target} does not exist"
            assert path.stat().st_size <= MAX_PICTURE_BYTES, f"{target}: {path.stat().st_size:,} bytes"


def test_every_picture_in_docs_is_shown_somewhere():
    shown = {path for page in PAGES for _, path, _ in relative_links(page)}
    pictures = {p.resolve() for p in (PROJECT_ROOT / "docs").iterdir() if p.suffix.lower() in PICTURE_SUFFIXES}
    assert pictures <= shown, f"pictures nobody links to: {sorted(p.name for p in pictures - shown)}"


def front_matter() -> dict[str, str]:
    text = README.read_text()
    assert text.startswith("---\n"), "the Spaces front matter must open the README"
    block = text[4:text.index("\n---\n", 4)]
    return {key.strip(): value.strip().strip('"') for key, _, value in
            (line.partition(":") for line in block.splitlines()) if key.strip()}


def test_the_front_matter_agrees_with_requirements():
    settings = front_matter()
    pins = dict(line.split("==") for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert settings["sdk"] == "gradio"
    assert settings["sdk_version"] == pins["gradio"]
    assert settings["python_version"] == "3.11"
    assert (PROJECT_ROOT / settings["app_file"]).is_file()


def test_the_readme_has_two_commands_and_ci_runs_the_test_one():
    section = README.read_text().split("## Two commands", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    commands = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(commands) == 2, commands
    assert commands[0].startswith("python3.11 -m venv .venv") and commands[0].endswith("python app.py")
    # .ci/run keeps pip quiet (`pip install -q`); otherwise it is the very same line.
    ci_lines = [line.replace("pip install -q ", "pip install ")
                for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()]
    assert commands[1] in ci_lines, ".ci/run must run the README's test command"
