"""Whose network a view uses: this session's own model (kept by the server, never another student's)
or the shipped one."""

from __future__ import annotations

import gradio as gr

from flower_demo.server import session_models
from flower_demo.i18n import translate
from flower_demo.tabs.ui import error, wait_for_warm_up

MODEL_CHOICES = ("own", "shipped")  # whose network a view shows: this student's (else the shipped one), or the shipped one


def session_key(request: gr.Request | None) -> str:
    """The page's session (one per browser tab and page load), which owns its model on the server."""
    return getattr(request, "session_hash", None) or "no session"  # a handler called without a request


def keep_model(network, request: gr.Request | None, lang: str) -> session_models.Handle:
    """Makes `network` this session's model, kept by the server within the class's memory budget;
    returns the handle for the session's `student_model` state (the state never holds the model)."""
    try:
        return session_models.MODELS.put(session_key(request), network)
    except session_models.ModelOverBudget as problem:
        raise error(problem.key, lang, detail=problem.detail) from problem


def own_model(student_model: session_models.Handle | None, lang: str):
    """This session's model from its `student_model` state, None if it has none yet; a translated
    gr.Error when the server freed it to leave memory for the others."""
    if student_model is None:
        return None
    try:
        return session_models.MODELS.get(student_model)
    except session_models.ModelDropped as problem:
        raise error(problem.key, lang) from problem


def forget_model(request: gr.Request = None) -> None:
    """Frees this session's model when its tab closes (Gradio would keep the state another hour)."""
    session_models.MODELS.drop_session(session_key(request))


def chosen_model(choice: str, student_model, lang: str, progress: gr.Progress | None = None):
    """(network, note): this student's model (`student_model` is its handle) or the shipped one, never
    another student's.

    Raises a translated gr.Error for an unknown choice, a model the server had to free, or when there
    is no model at all.
    """
    from flower_demo.model import serving  # lazy: the page never waits for TensorFlow

    if choice not in MODEL_CHOICES:
        raise error("error_setting", lang, detail=f"model {choice!r}")
    own = own_model(student_model, lang) if choice == "own" else None
    if own is not None:
        return own, ""
    wait_for_warm_up(lang, progress)
    network = serving.shipped_model()
    if network is None:
        raise error("error_no_model", lang)
    return network, translate("inside_fallback", lang) if choice == "own" else ""
