"""Compare runs tab: every run of this session in a table, the chosen runs' curves on one chart, the
tutorial's comparison (seed, then seed_augmented) in one click, and taking the model home."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import anyio
import gradio as gr
import pandas as pd
from gradio.utils import get_upload_folder

from flower_demo import config, recipes
from flower_demo.look import result_plots
from flower_demo.train import runs, turns
from flower_demo.i18n import LANGUAGES, percent, translate
from flower_demo.server.priority import PRIORITY
from flower_demo.tabs import components, language_switch, model_choice, ui, waiting_line

COMPARED = ("seed", "seed_augmented")  # the tutorial's two models, in its order
RUNS = waiting_line.SessionRuns()  # each session's comparison: Stop reaches its current run, or its place in line


def _chart(history, chosen, metric: str, lang: str):
    return result_plots.comparison_figure(history, chosen, metric, lang)


def _validation(run: dict, lang: str) -> str:
    last, best = run.get("last_val_accuracy"), run.get("best_val_accuracy")
    if last is None:
        return "—"
    if best is None or percent(best, lang) == percent(last, lang):
        return percent(last, lang)
    return translate("compare_validation_cell", lang, last=percent(last, lang), best=percent(best, lang))


def runs_table(history, lang: str) -> pd.DataFrame:
    """One row per run in three columns, which fit a phone without a word broken: number, preset, last
    validation accuracy (with the best, when it was higher). Each run's settings are listed under it
    (`runs_settings`): a fourth column left "seed_augmented" or "Validación" no room on a phone."""
    rows = [[f"#{run['number']}", run["preset"], _validation(run, lang)] for run in history or []]
    columns = [translate(key, lang) for key in ("run_number", "preset", "compare_validation_column")]
    return pd.DataFrame(rows, columns=columns, dtype=str)


def runs_settings(history, lang: str) -> str:
    """Each run's settings, a line per run under the table: epochs, seconds training and the rest."""
    lines = []
    for run in history or []:
        if run["stopped"]:
            epochs = translate("compare_run_epochs_stopped", lang, count=run["epochs_done"],
                               asked=run["settings"]["epochs"])
        else:
            epochs = translate("compare_run_epochs", lang, count=run["epochs_done"])
        lines.append("- " + translate("compare_run_settings", lang, run=runs.label(run), epochs=epochs,
                                      seconds=int(round(run["seconds"])), settings=runs.settings_text(run, lang)))
    return "\n".join(lines)


def _views(history, chosen, metric: str, lang: str):
    """(the runs' settings or a note that there are none, the table, the runs to choose from, the chart)
    for a history and the chosen run numbers."""
    choices = [(runs.label(run), run["number"]) for run in history or []]
    return (runs_settings(history, lang) if history else translate("no_runs", lang), runs_table(history, lang),
            gr.CheckboxGroup(choices=choices, value=list(chosen)), _chart(history, chosen, metric, lang))


def refresh_runs(history=None, metric: str = "accuracy", request: gr.Request = None):
    """The note, table and chart after the history changed: the latest runs chosen."""
    chosen = [run["number"] for run in (history or [])[-config.COMPARISON_RUNS_SHOWN:]]
    return _views(history, chosen, metric, ui.language(request))


def draw_runs(history=None, chosen=None, metric: str = "accuracy", request: gr.Request = None):
    """The chart for the runs a student ticked."""
    return _chart(history, chosen or [], metric if metric in ("accuracy", "loss") else "accuracy",
                  ui.language(request))


def _progress(preset: str, index: int, state, lang: str) -> str:
    if state.phase == "training":
        return translate("compare_progress", lang, preset=preset, index=index, epoch=min(state.epoch + 1, state.epochs),
                         epochs=state.epochs, batch=state.batch, steps=state.steps)
    if state.phase == "failed":
        return translate("status_failed", lang, message=translate(state.error_key, lang, detail=state.error_detail))
    return translate("compare_loading", lang, preset=preset, index=index)


def _after_run(state, index: int, history, epochs: int, lang: str) -> str:
    """The status once run `index` has ended and left a model: stopped, done, or the next one loading."""
    if state.phase != "finished":
        status = translate("compare_stopped", lang)
        if state.timed_out:
            status += " " + translate("error_time_limit", lang, seconds=config.MAX_TRAIN_SECONDS_APP)
        return status
    if index == len(COMPARED):
        return translate("compare_done", lang, first=runs.label(history[-2]), second=runs.label(history[-1]),
                         epochs=epochs, count=epochs)
    return translate("compare_loading", lang, preset=COMPARED[index], index=index + 1)


def _in_every_language(make) -> dict:
    return {"status": {language: make(language) for language in LANGUAGES}}


RUNNING = {"running": True}  # what the tab shows while a comparison streams: its own updates redraw it


async def compare(epochs: int | None = config.COMPARISON_EPOCHS, history=None, request: gr.Request = None):
    """The tutorial's comparison: seed, then seed_augmented with the same epochs, streamed on one chart.

    Both runs together stay within the server's time limit per student (the first gets half of it).
    Yields (status, note, table, runs to choose from, chart, model's handle, history, and what the tab
    shows for a language switch to redraw); the model and the history change after each run, so a
    closed tab still keeps the runs that finished. Every update is in the page's language of the moment.
    """
    from flower_demo.train.placement import new_run  # lazy: TensorFlow

    lang = ui.language(request)
    epochs = ui.clamp_int(epochs, 1, config.COMPARISON_MAX_EPOCHS, config.COMPARISON_EPOCHS)
    session = getattr(request, "session_hash", None) or str(id(request))
    claim = RUNS.claim(session)
    if claim is None:
        raise ui.error("error_training_busy", lang)
    configs = [recipes.with_overrides(recipes.live_preset(preset), epochs=epochs) for preset in COMPARED]
    # The comparison takes its turn at the training slot like any run (one ticket for both runs).
    ticket = turns.LINE.join(sum(turns.expected_seconds(run_config) for run_config in configs))
    history, numbers = list(history or []), []
    drawn_at, drawn_epochs, drawn_in = float("-inf"), None, lang  # when, after which epoch and in which language
    try:
        async for status in waiting_line.wait_in_line(ticket, claim, lambda: ui.language(request)):
            yield (status, *([gr.skip()] * 6), RUNNING)
        if claim.stopping:
            left = _in_every_language(lambda language: translate("status_left_line", language))
            yield (left["status"][ui.language(request)], *([gr.skip()] * 6), left)
            return
        started = time.monotonic()
        for index, (preset, run_config) in enumerate(zip(COMPARED, configs), start=1):
            budget = config.MAX_TRAIN_SECONDS_APP - (time.monotonic() - started)
            run = new_run(run_config, max_seconds=budget / (len(COMPARED) - index + 1),
                          before_batch=PRIORITY.yield_to_requests)  # clicks before training
            claim.follow(run)
            stream, state = run.stream(), None
            while (snapshot := await anyio.to_thread.run_sync(next, stream, None)) is not None:
                state, lang = snapshot, ui.language(request)  # a language switch shows at the next update
                status = _progress(preset, index, state, lang)
                if ((index, state.epoch) == drawn_epochs and lang == drawn_in
                        and time.monotonic() - drawn_at < config.COMPARISON_CHART_SECONDS):
                    yield (status, *([gr.skip()] * 4), gr.skip(), gr.skip(), RUNNING)
                    continue
                live = runs.appended(history, runs.record(run_config, state))  # this run as it stands
                drawn_at, drawn_epochs, drawn_in = time.monotonic(), (index, state.epoch), lang
                yield (status, *_views(live, [*numbers, live[-1]["number"]], "accuracy", lang), gr.skip(), gr.skip(),
                       RUNNING)
            if state is None or state.model is None:
                if state is not None:  # failed: its message stays, in whichever language the page shows
                    shown = _in_every_language(lambda language: _progress(preset, index, state, language))
                    yield (shown["status"][ui.language(request)], *([gr.skip()] * 6), shown)
                break
            history = runs.appended(history, runs.record(run_config, state))
            numbers.append(history[-1]["number"])
            runs.remember_origin(state.model, run=history[-1])
            lang = ui.language(request)
            shown = _in_every_language(lambda language: _after_run(state, index, history, epochs, language))
            if index < len(COMPARED) and state.phase == "finished":
                shown = RUNNING  # the second run follows at once
            yield (_after_run(state, index, history, epochs, lang), *_views(history, numbers, "accuracy", lang),
                   model_choice.keep_model(state.model, request, lang), history, shown)
            if state.phase != "finished":
                break
    finally:  # on the event loop when the tab closes: the current run ends at its next batch
        claim.stop()
        turns.LINE.leave(ticket)
        RUNS.release(session, claim)


def stop_comparison(request: gr.Request = None) -> None:
    """Stops this student's comparison (only theirs) after the current batch; finished runs are kept."""
    RUNS.stop(getattr(request, "session_hash", None))


def _export_text(origin: dict, served, fallback: bool, lang: str) -> str:
    """What the exported file is and how to train it again, in `lang`. The command is inline code, which
    wraps on a phone (a code block's box would scroll sideways, and a keyboard cannot scroll it)."""
    if "run" in origin:
        run = origin["run"]
        lines = [translate("export_command_own" if runs.is_own(run) else "export_command", lang),
                 f"`{runs.command_line(run)}`"]
        if run["stopped"]:
            lines.append(translate("export_stopped", lang, done=run["epochs_done"], asked=run["settings"]["epochs"]))
    elif "upload" in origin:
        lines = [translate("export_upload", lang, name=origin["upload"])]
    elif served == config.SHIPPED_MODEL_PATH:
        lines = [translate("export_shipped", lang), f"`{runs.command_line(None, out=served.name)}`"]
    else:
        lines = [translate("export_server", lang, name=served.name)]
    if fallback:
        lines.append(translate("inside_fallback", lang))
    return "\n\n".join(lines)


def export(model: str = "own", student_model=None, request: gr.Request = None):
    """The model as a .keras file to download, and the command line that trains it again.

    Returns (the file's path, what it is and how to repeat it, and that text in every language for a
    language switch: a State's, which the API leaves out).
    """
    from flower_demo.model import model_files  # lazy: TensorFlow

    lang = ui.language(request)
    network, fallback = model_choice.chosen_model(model, student_model, lang)
    origin, served = runs.origin_of(network), config.classifier_path()
    if "run" in origin:
        name = runs.file_name(origin["run"])
    elif "upload" in origin:
        name = origin["upload"]
    else:
        name = served.name
    texts = {language: _export_text(origin, served, bool(fallback), language) for language in LANGUAGES}
    # Written inside Gradio's cache, so it is served without a copy and deleted with the app's other
    # outputs (app.py's delete_cache).
    path = model_files.export_model(network, Path(get_upload_folder()) / f"export-{uuid.uuid4().hex}", name)
    return str(path), texts[lang], texts


def forget_export():
    """The session's model changed: the prepared file and its text were another model's."""
    return None, "", None


def redraw(history, chosen, metric, shown, export_shown, request: gr.Request = None):
    """The table, chart and notes, the comparison's status and the download's text again in the page's
    language (the views only when no comparison streams: its next update redraws them)."""
    lang = ui.language(request)
    status = shown["status"].get(lang, gr.skip()) if shown and "status" in shown else gr.skip()
    if shown and shown.get("running"):
        views = [gr.skip()] * 4
    else:
        views = list(_views(history, chosen or [], metric if metric in ("accuracy", "loss") else "accuracy", lang))
        views[2] = gr.skip()  # the runs' names ("#1 seed") read the same in every language
    text = export_shown.get(lang, gr.skip()) if export_shown else gr.skip()
    return status, *views, text


def build(demo: gr.Blocks, student_model: gr.State, run_history: gr.State) -> None:
    with gr.Tab(ui.t("tab_compare"), id="compare") as tab:
        gr.Markdown(ui.t("compare_heading"))
        # The tutorial's comparison and the runs to overlay beside the chart; on a phone the chart
        # follows them, then the table.
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                epochs_slider = components.Slider(1, config.COMPARISON_MAX_EPOCHS, value=config.COMPARISON_EPOCHS,
                                                  step=1, label=ui.t("compare_epochs"))
                with gr.Row():
                    compare_button = gr.Button(ui.t("compare_button"), variant="primary", scale=3, min_width=160)
                    stop_button = gr.Button(ui.t("stop_button"), variant="stop", scale=1, min_width=120)
                compare_markdown = gr.Markdown(elem_id="compare-status")
                runs_checkboxes = gr.CheckboxGroup([], label=ui.t("runs_chosen"), type="value")
                metric_radio = components.Radio([(ui.t("accuracy_plot"), "accuracy"), (ui.t("loss_plot"), "loss")],
                                                value="accuracy", label=ui.t("compare_metric"))
            with gr.Column(scale=3, min_width=320):
                comparison_plot = gr.Plot(label=ui.t("comparison_plot"), elem_id="comparison-plot")
        # Widths that fit a 390 px phone: "seed_augmented" and "Validación" whole.
        runs_table = gr.Dataframe(label=ui.t("runs_table"), interactive=False, wrap=True, elem_id="runs-table",
                                  column_widths=["15%", "47%", "38%"])
        runs_markdown = gr.Markdown(elem_id="runs-settings")  # each run's settings, or that there are none yet
        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("compare_intro"))
            gr.Markdown(ui.t("tutorial_compare_intro"))
        gr.Markdown(ui.t("export_intro"))
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                model_radio = model_choice.model_radio(student_model)
                export_button = gr.Button(ui.t("export_button"))
            with gr.Column(scale=3, min_width=320):
                export_file = gr.File(label=ui.t("export_file"), interactive=False, elem_id="export-file")
                export_markdown = gr.Markdown(elem_id="export-notes")
        shown = gr.State(None, time_to_live=3600)  # the comparison's last status in every language
        export_shown = gr.State(None, time_to_live=3600)  # the download's text in every language

        views = [runs_markdown, runs_table, runs_checkboxes, comparison_plot]
        gr.on([tab.select, run_history.change], refresh_runs, [run_history, metric_radio], views,
              api_visibility="private", show_progress="hidden")
        gr.on([runs_checkboxes.input, metric_radio.change], draw_runs, [run_history, runs_checkboxes, metric_radio],
              comparison_plot, api_visibility="private", show_progress="hidden")
        compare_button.click(compare, [epochs_slider, run_history],
                             [compare_markdown, *views, student_model, run_history, shown], api_name="compare",
                             # Many wait at once; turns.LINE lets them train in turn, with the Training tab's runs.
                             concurrency_limit=config.COMPARISONS_WAITING, concurrency_id="comparison",
                             show_progress_on=[compare_markdown])
        stop_button.click(stop_comparison, None, None, queue=False, api_name="stop_comparison")
        export_button.click(export, [model_radio, student_model], [export_file, export_markdown, export_shown],
                            api_name="export")
        # Another model (a run, a comparison, a brought file, the other choice) makes a prepared download
        # stale: it goes.
        student_model.change(forget_export, None, [export_file, export_markdown, export_shown], queue=False,
                             api_visibility="private")
        model_radio.change(forget_export, None, [export_file, export_markdown, export_shown], queue=False,
                           api_visibility="private")
        language_switch.redraw_on_switch(redraw, [run_history, runs_checkboxes, metric_radio, shown, export_shown],
                                         [compare_markdown, *views, export_markdown])
