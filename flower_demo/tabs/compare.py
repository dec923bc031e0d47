"""Compare runs tab: every run of this session in a table, the chosen runs' curves on one chart, the
tutorial's comparison (seed, then seed_augmented) in one click, and taking the model home."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import anyio
import gradio as gr
from gradio.utils import get_upload_folder

from flower_demo import config, recipes
from flower_demo.look import result_plots
from flower_demo.train import runs, turns
from flower_demo.i18n import translate
from flower_demo.server.priority import PRIORITY
from flower_demo.tabs import components, model_choice, ui, waiting_line

COMPARED = ("seed", "seed_augmented")  # the tutorial's two models, in its order
RUNS = waiting_line.SessionRuns()  # each session's comparison: Stop reaches its current run, or its place in line


def _chart(history, chosen, metric: str, lang: str):
    return result_plots.comparison_figure(history, chosen, metric, lang)


def _views(history, chosen, metric: str, lang: str):
    """(a note, the table, the runs to choose from, the chart) for a history and the chosen run numbers."""
    choices = [(runs.label(run), run["number"]) for run in history or []]
    return ("" if history else translate("no_runs", lang), runs.table(history, lang),
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


async def compare(epochs: int | None = config.COMPARISON_EPOCHS, history=None, request: gr.Request = None):
    """The tutorial's comparison: seed, then seed_augmented with the same epochs, streamed on one chart.

    Both runs together stay within the server's time limit per student (the first gets half of it).
    Yields (status, note, table, runs to choose from, chart, model's handle, history); the model and the
    history change after each run, so a closed tab still keeps the runs that finished.
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
    history, numbers, status = list(history or []), [], ""
    drawn_at, drawn_epochs = float("-inf"), None  # when the chart was last drawn, and after how many epochs
    try:
        async for status in waiting_line.wait_in_line(ticket, claim, lang):
            yield (status, *([gr.skip()] * 6))
        if claim.stopping:
            return
        started = time.monotonic()
        for index, (preset, run_config) in enumerate(zip(COMPARED, configs), start=1):
            budget = config.MAX_TRAIN_SECONDS_APP - (time.monotonic() - started)
            run = new_run(run_config, max_seconds=budget / (len(COMPARED) - index + 1),
                          before_batch=PRIORITY.yield_to_requests)  # clicks before training
            claim.follow(run)
            stream, state = run.stream(), None
            while (snapshot := await anyio.to_thread.run_sync(next, stream, None)) is not None:
                state = snapshot
                status = _progress(preset, index, state, lang)
                if (index, state.epoch) == drawn_epochs and time.monotonic() - drawn_at < config.COMPARISON_CHART_SECONDS:
                    yield (status, *([gr.skip()] * 4), gr.skip(), gr.skip())
                    continue
                live = runs.appended(history, runs.record(run_config, state))  # this run as it stands
                drawn_at, drawn_epochs = time.monotonic(), (index, state.epoch)
                yield (status, *_views(live, [*numbers, live[-1]["number"]], "accuracy", lang), gr.skip(), gr.skip())
            if state is None or state.model is None:
                break
            history = runs.appended(history, runs.record(run_config, state))
            numbers.append(history[-1]["number"])
            runs.remember_origin(state.model, run=history[-1])
            if state.phase != "finished":
                status = translate("compare_stopped", lang)
                if state.timed_out:
                    status += " " + translate("error_time_limit", lang, seconds=config.MAX_TRAIN_SECONDS_APP)
            elif index == len(COMPARED):
                status = translate("compare_done", lang, first=runs.label(history[-2]), second=runs.label(history[-1]),
                                   epochs=epochs)
            yield (status, *_views(history, numbers, "accuracy", lang), model_choice.keep_model(state.model, request, lang),
                   history)
            if state.phase != "finished":
                break
    finally:  # on the event loop when the tab closes: the current run ends at its next batch
        claim.stop()
        turns.LINE.leave(ticket)
        RUNS.release(session, claim)


def stop_comparison(request: gr.Request = None) -> None:
    """Stops this student's comparison (only theirs) after the current batch; finished runs are kept."""
    RUNS.stop(getattr(request, "session_hash", None))


def export(model: str = "own", student_model=None, request: gr.Request = None):
    """The model as a .keras file to download, and the command line that trains it again.

    Returns (the file's path, what it is and how to repeat it).
    """
    from flower_demo.model import model_files  # lazy: TensorFlow

    lang = ui.language(request)
    network, fallback = model_choice.chosen_model(model, student_model, lang)
    origin = runs.origin_of(network)
    if "run" in origin:
        run = origin["run"]
        name, lines = runs.file_name(run), [translate("export_command", lang), f"```\n{runs.command_line(run)}\n```"]
        if run["stopped"]:
            lines.append(translate("export_stopped", lang, done=run["epochs_done"], asked=run["settings"]["epochs"]))
    elif "upload" in origin:
        name, lines = origin["upload"], [translate("export_upload", lang, name=origin["upload"])]
    elif (served := config.classifier_path()) == config.SHIPPED_MODEL_PATH:
        name = config.SHIPPED_MODEL_PATH.name
        lines = [translate("export_shipped", lang), f"```\n{runs.command_line(None, out=name)}\n```"]
    else:
        name, lines = served.name, [translate("export_server", lang, name=served.name)]
    # Written inside Gradio's cache, so it is served without a copy and deleted with the app's other
    # outputs (app.py's delete_cache).
    path = model_files.export_model(network, Path(get_upload_folder()) / f"export-{uuid.uuid4().hex}", name)
    return str(path), "\n\n".join([*lines, fallback] if fallback else lines)


def build(demo: gr.Blocks, student_model: gr.State, run_history: gr.State) -> None:
    with gr.Tab(ui.t("tab_compare"), id="compare") as tab:
        gr.Markdown(ui.t("compare_intro"))
        runs_markdown = gr.Markdown()
        runs_table = gr.Dataframe(label=ui.t("runs_table"), interactive=False, wrap=True, elem_id="runs-table")
        with gr.Row():
            with gr.Column(scale=1):
                runs_checkboxes = gr.CheckboxGroup([], label=ui.t("runs_chosen"), type="value")
                metric_radio = components.Radio([(ui.t("accuracy_plot"), "accuracy"), (ui.t("loss_plot"), "loss")],
                                        value="accuracy", label=ui.t("compare_metric"))
            with gr.Column(scale=3):
                comparison_plot = gr.Plot(label=ui.t("comparison_plot"), elem_id="comparison-plot")
        gr.Markdown(ui.t("tutorial_compare_intro"))
        with gr.Row():
            epochs_slider = components.Slider(1, config.COMPARISON_MAX_EPOCHS, value=config.COMPARISON_EPOCHS, step=1,
                                      label=ui.t("compare_epochs"))
            compare_button = gr.Button(ui.t("compare_button"), variant="primary")
            stop_button = gr.Button(ui.t("stop_button"), variant="stop")
        compare_markdown = gr.Markdown()
        gr.Markdown(ui.t("export_intro"))
        with gr.Row():
            with gr.Column(scale=1):
                model_radio = components.Radio([(ui.t(f"inside_model_{key}"), key) for key in model_choice.MODEL_CHOICES],
                                       value="own", label=ui.t("inside_model"))
                export_button = gr.Button(ui.t("export_button"))
            with gr.Column(scale=2):
                export_file = gr.File(label=ui.t("export_file"), interactive=False, elem_id="export-file")
                export_markdown = gr.Markdown()

        views = [runs_markdown, runs_table, runs_checkboxes, comparison_plot]
        gr.on([tab.select, run_history.change], refresh_runs, [run_history, metric_radio], views,
              api_visibility="private", show_progress="hidden")
        gr.on([runs_checkboxes.input, metric_radio.change], draw_runs, [run_history, runs_checkboxes, metric_radio],
              comparison_plot, api_visibility="private", show_progress="hidden")
        compare_button.click(compare, [epochs_slider, run_history],
                             [compare_markdown, *views, student_model, run_history], api_name="compare",
                             # Many wait at once; turns.LINE lets them train in turn, with the Training tab's runs.
                             concurrency_limit=config.COMPARISONS_WAITING, concurrency_id="comparison",
                             show_progress_on=[compare_markdown])
        stop_button.click(stop_comparison, None, None, queue=False, api_name="stop_comparison")
        export_button.click(export, [model_radio, student_model], [export_file, export_markdown], api_name="export")
