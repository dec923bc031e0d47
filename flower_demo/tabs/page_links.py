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


def follow_links(demo: gr.Blocks, tabs: gr.Tabs) -> None:
    """Opens the tab a shared link names; each tab reads its own settings from the link, and the boot
    script (flower_demo/server/boot_script.py) its language."""
    demo.load(open_linked_tab, None, tabs, api_visibility="private", show_progress="hidden")
