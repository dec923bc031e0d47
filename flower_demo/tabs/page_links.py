"""Links a teacher can share: `?tab=training&preset=seed_augmented&epochs=5&kernel=sobel_x&lang=en` opens
that tab, in that language, with those settings (flower_demo.server.links reads them)."""

from __future__ import annotations

import gradio as gr

def page_link(request: gr.Request | None):
    """The settings a shared link names (flower_demo.server.links.Link); unknown values are ignored."""
    from flower_demo.server import links

    return links.parse(dict(getattr(request, "query_params", None) or {}))


def open_linked_tab(request: gr.Request = None):
    """The tab a shared link names (`?tab=training`), selected on page load."""
    tab = page_link(request).tab
    return gr.Tabs(selected=tab) if tab else gr.skip()


# Gradio picks the page's language from the browser and offers no query parameter for it. Its
# front end exports `changeLocale` from its core module (what the footer's settings call); the page
# has already loaded that module, so importing it again returns the same one. If a later Gradio
# moves it, the link's language still governs every message the server writes (`language`).
LANGUAGE_FROM_LINK = """
async () => {
    const lang = new URLSearchParams(window.location.search).get("lang");
    if (!["es", "en"].includes(lang)) return;
    const core = performance.getEntriesByType("resource").map((entry) => entry.name)
        .find((name) => /\\/assets\\/core-[^/?]*\\.js$/.test(name));
    if (!core) return;
    try {
        const module = await import(core);
        if (typeof module.changeLocale === "function") module.changeLocale(lang);
    } catch (error) {
        console.warn("lang from the link not applied", error);
    }
}
"""


def follow_links(demo: gr.Blocks, tabs: gr.Tabs) -> None:
    """Opens the tab and the language a shared link names (each tab reads its own settings)."""
    items = [item for item in tabs.children if isinstance(item, gr.Tab)]

    def relabel(request: gr.Request = None):
        """The tabs' names again once the link's language is set: the tab bar keeps the names it was
        first given, and only the open tab's would follow the new language."""
        if page_link(request).lang is None:
            return [gr.skip()] * len(items)
        return [gr.Tab(label=item.label) for item in items]

    # The tab is chosen after the relabelling: new labels redraw the tab bar, which forgot the choice.
    relabelled = demo.load(None, None, None, js=LANGUAGE_FROM_LINK).then(
        relabel, None, items, api_visibility="private", show_progress="hidden")
    relabelled.then(open_linked_tab, None, tabs, api_visibility="private", show_progress="hidden")
