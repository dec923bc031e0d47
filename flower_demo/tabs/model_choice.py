"""Whose network a view uses: one of this session's models (kept by the server, never another
student's) or the shipped one, and the line that names it beside every answer.

A view's model choice is "own" (the session's latest model; the shipped one while it has none), one of
its earlier kept models by name ("run2", "upload"), or "shipped". "own" and "shipped" are always offered
(an API client's defaults); the names come and go with the session's runs (`choices`).
"""

from __future__ import annotations

import re

import gradio as gr

from flower_demo import config
from flower_demo.i18n import percent, translate
from flower_demo.server import session_models
from flower_demo.tabs import components, language_switch
from flower_demo.tabs.ui import error, language, session_key, t, wait_for_warm_up
from flower_demo.train import runs

MODEL_CHOICES = ("own", "shipped")  # always offered: this student's latest (else the shipped one), the shipped one
_KEPT_NAME = re.compile(r"run[1-9][0-9]{0,5}|upload")  # an earlier model's name, as `name_of` gives it


def name_of(network) -> str:
    """What a session's model is called in its choices: "run3" for its run #3, "upload" for a brought one."""
    origin = runs.origin_of(network)
    if "run" in origin:
        return f"run{origin['run']['number']}"
    return "upload" if "upload" in origin else "model"


def keep_model(network, request: gr.Request | None, lang: str) -> session_models.Handle:
    """Makes `network` this session's latest model, kept by the server within the class's memory budget
    (its earlier ones stay choosable while they fit); returns the handle for the session's
    `student_model` state (the state never holds a model). Call it once the network's origin is known."""
    try:
        return session_models.MODELS.put(session_key(request), network, name_of(network))
    except session_models.ModelOverBudget as problem:
        raise error(problem.key, lang, detail=problem.detail) from problem


def own_model(student_model: session_models.Handle | None, lang: str):
    """This session's latest model from its `student_model` state, None if it has none yet; a translated
    gr.Error when the server freed it to leave memory for the others."""
    if student_model is None:
        return None
    try:
        return session_models.MODELS.get(student_model)
    except session_models.ModelDropped as problem:
        raise error(problem.key, lang) from problem


def _kept(student_model) -> list[tuple[str, session_models.Handle]]:
    if not isinstance(student_model, session_models.Handle):
        return []
    return session_models.MODELS.kept(student_model.session)


def earlier_model(name: str, student_model, lang: str):
    """This session's kept model called `name` ("run2"); a translated gr.Error when it is no longer kept."""
    for kept_name, handle in _kept(student_model):
        if kept_name == name:
            try:
                return session_models.MODELS.get(handle)
            except session_models.ModelDropped:
                break
    raise error("error_model_not_kept", lang, name=name, kept=config.SESSION_MODELS_PER_SESSION)


def forget_model(request: gr.Request = None) -> None:
    """Frees this session's models when its tab closes (Gradio would keep the state another hour)."""
    session_models.MODELS.drop_session(session_key(request))


def chosen_model(choice: str, student_model, lang: str, progress: gr.Progress | None = None):
    """(network, note): the model `choice` names among this student's (`student_model` is the handle of
    the latest) or the shipped one, never another student's; the note says when "own" fell back on the
    shipped model.

    Raises a translated gr.Error for an unknown choice, a model the server had to free, or when there
    is no model at all.
    """
    from flower_demo.model import serving  # lazy: the page never waits for TensorFlow

    if not isinstance(choice, str) or not (choice in MODEL_CHOICES or _KEPT_NAME.fullmatch(choice)):
        raise error("error_setting", lang, detail=f"model {choice!r}")
    if _KEPT_NAME.fullmatch(choice):
        return earlier_model(choice, student_model, lang), ""
    own = own_model(student_model, lang) if choice == "own" else None
    if own is not None:
        return own, ""
    wait_for_warm_up(lang, progress)
    network = serving.shipped_model()
    if network is None:
        raise error("error_no_model", lang)
    return network, translate("inside_fallback", lang) if choice == "own" else ""


def model_line(network, shipped: bool, lang: str) -> str:
    """Which model answered, as the line under an answer: this student's run (its number, preset and
    validation accuracy), the file they brought, or the shipped (or the server's) model."""
    origin = {} if shipped else runs.origin_of(network)
    if "run" in origin:
        run = origin["run"]
        accuracy = run.get("last_val_accuracy")
        if accuracy is None:
            return translate("model_line_run_plain", lang, label=runs.label(run))
        return translate("model_line_run", lang, label=runs.label(run), accuracy=percent(accuracy, lang))
    if "upload" in origin:
        return translate("model_line_upload", lang, name=origin["upload"])
    if not shipped:
        return translate("model_line_own", lang)
    served = config.classifier_path()
    if served == config.SHIPPED_MODEL_PATH:
        return translate("model_line_shipped", lang)
    return translate("model_line_server", lang, name=served.name)


def _short_name(network, lang: str) -> str:
    """"#2 seed · 65,4 %" for a run, "mine.keras" for a brought file: a choice's words."""
    origin = runs.origin_of(network)
    if "run" in origin:
        run, accuracy = origin["run"], origin["run"].get("last_val_accuracy")
        return runs.label(run) + ("" if accuracy is None else f" · {percent(accuracy, lang)}")
    return origin.get("upload", translate("model_choice_yours", lang))


def choices(student_model, lang: str) -> list[tuple[str, str]]:
    """(words, value) for a view's model choice: this student's latest model, its earlier kept ones
    (newest first), then the shipped one. Models freed meanwhile are left out."""
    named = []
    for name, handle in _kept(student_model):
        try:
            named.append((name, handle, session_models.MODELS.peek(handle)))
        except session_models.ModelDropped:
            continue
    latest = [network for _, handle, network in named if handle == student_model]
    earlier = [(name, network) for name, handle, network in named if handle.serial < student_model.serial]
    own = (translate("model_choice_latest", lang, name=_short_name(latest[0], lang)) if latest
           else translate("inside_model_own", lang))
    return [(own, "own"), *[(_short_name(network, lang), name) for name, network in earlier],
            (translate("inside_model_shipped", lang), "shipped")]


def choice_update(student_model, chosen, request: gr.Request = None):
    """A view's model choice after the session's models changed (or the page's language): the same
    model stays chosen while it is kept, else the latest."""
    options = choices(student_model, language(request))
    return gr.update(choices=options, value=chosen if chosen in [value for _, value in options] else "own")


def redraw_choices(student_model, chosen, request: gr.Request = None):
    """The choice's words in the page's language after a switch (Gradio translates them itself while the
    session has no model)."""
    return gr.skip() if student_model is None else choice_update(student_model, chosen, request)


def model_radio(student_model: gr.State, **settings) -> gr.Radio:
    """A view's model choice, which follows the session's models (a new run, a brought file, one freed)
    and the page's language."""
    radio = components.Radio([(t(f"inside_model_{key}"), key) for key in MODEL_CHOICES], value="own",
                             label=t("inside_model"), **settings)
    student_model.change(choice_update, [student_model, radio], radio, queue=False, api_visibility="private",
                         show_progress="hidden")
    language_switch.redraw_on_switch(redraw_choices, [student_model, radio], [radio])
    return radio
