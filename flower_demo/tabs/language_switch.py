"""Switching the page's language redraws what the server wrote (statuses, notes, figures, tables).

Each tab says how to redraw its results (`redraw_on_switch`): a handler that takes the shown results'
inputs and returns them again in the request's language, or `gr.skip()` for what is not shown. The
boot script (flower_demo/server/boot_script.py) clicks one hidden button when the language changes;
its one event runs every tab's redraw, so a switch costs the session one queued event, not eight.
"""

from __future__ import annotations

import logging

import gradio as gr
from gradio.context import Context

from flower_demo.server.boot_script import SWITCH_ID
from flower_demo.tabs import ui

_REDRAWS = "_language_redraws"  # on the Blocks being built: [(handler, inputs, outputs)]


def redraw_on_switch(handler, inputs: list, outputs: list) -> None:
    """Registers a tab's redraw: `handler(*inputs, request=...)` returns a value per output, each the
    shown result in the request's language or `gr.skip()`. It must be quick and never train or load."""
    blocks = Context.root_block
    if not hasattr(blocks, _REDRAWS):
        setattr(blocks, _REDRAWS, [])
    getattr(blocks, _REDRAWS).append((handler, list(inputs), list(outputs)))


def _outputs(result, count: int) -> list:
    if count == 1:
        return [result]
    return list(result)


def wire(demo: gr.Blocks) -> None:
    """The hidden switch and its one event (after every tab registered its redraw)."""
    redraws = getattr(demo, _REDRAWS, [])
    inputs = [component for _, ins, _ in redraws for component in ins]
    outputs = [component for _, _, outs in redraws for component in outs]
    switch = gr.Button("switch", visible="hidden", elem_id=SWITCH_ID)

    def redraw(request: gr.Request, *values):  # Gradio passes the request only to a parameter before *values
        session = getattr(request, "session_hash", None)
        lang = dict(getattr(request, "query_params", None) or {}).get("lang")
        if session and lang in ui.LANGUAGES:
            ui.SWITCHED[session] = lang  # an event already running reads it at its next update
        results, start = [], 0
        for handler, ins, outs in redraws:
            args, start = values[start:start + len(ins)], start + len(ins)
            try:
                results += _outputs(handler(*args, request=request), len(outs))
            except Exception:  # noqa: BLE001 - one tab's stale result must not keep the others' old language
                logging.getLogger(__name__).warning("a redraw after a language switch failed", exc_info=True)
                results += [gr.skip()] * len(outs)
        return results

    switch.click(redraw, inputs, outputs, api_visibility="private", show_progress="hidden",
                 trigger_mode="always_last")


def forget(request: gr.Request = None) -> None:
    """A closed page's switch (with the tab's other per-session records)."""
    ui.SWITCHED.pop(getattr(request, "session_hash", None) or "", None)
