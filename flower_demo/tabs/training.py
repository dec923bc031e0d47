"""Training tab: live accuracy and loss curves, stop, the previous run overlaid, the model summary."""

from __future__ import annotations


import anyio
import gradio as gr
import pandas as pd

from flower_demo import config, recipes
from flower_demo.data import own_photos
from flower_demo.train import runs, turns
from flower_demo.i18n import LANGUAGES, percent, translate
from flower_demo.server.priority import PRIORITY
from flower_demo.tabs import components, language_switch, model_choice, page_links, ui, waiting_line

RUNS = waiting_line.SessionRuns()  # each session's training run, so Stop reaches only that run
DATASETS = ("flowers", "own")
OWN_PRESET = "small"  # the tutorial's photos, or this session's own (the Your photos tab)


# The run's curve points (flower_demo/train/training.py records them) shaped for the live gr.LinePlots.
def curve_frame(curve: list[dict], metric: str, language: str, previous: list[dict] | None = None) -> pd.DataFrame:
    """Long-format rows (step, value, series) for a gr.LinePlot, this run and the previous one.

    The chart fixes its series (and axis types) from the first frame it ever receives, in the order
    they first appear, and draws them in that order: every frame starts with one empty (NaN) row per
    series, the previous run's first, so this run's lines are drawn over an identical previous run's.
    """
    rows = [(0.0, float("nan"), name) for name in series_colors(language)]
    rows += [(row["step"], row["value"], translate(f"series_previous_{row['series']}", language))
             for row in (previous or []) if row["metric"] == metric]
    rows += [(row["step"], row["value"], translate(f"series_{row['series']}", language))
             for row in curve if row["metric"] == metric]
    frame = pd.DataFrame(rows, columns=["step", "value", "series"])
    return frame.astype({"step": "float64", "value": "float64", "series": "str"})


# The previous run's training and validation, then this run's: each line at 3:1 or more against the
# chart's white (WCAG 2.1 non-text contrast), the previous run's lighter than this run's.
SERIES_COLORS = ("#4e8fc7", "#d9772f", "#1f5f99", "#b03a06")
SERIES = ("series_previous_training", "series_previous_validation", "series_training", "series_validation")


def series_colors(language: str) -> dict[str, str]:
    return {translate(name, language): colour for name, colour in zip(SERIES, SERIES_COLORS)}


def legend_series(language: str, previous: bool = False) -> list[str]:
    """The series a legend names: this run's two. (Four names do not fit a chart 300 px wide, a phone's
    or half a projector's: the previous run's lighter lines are named by the chart's caption.)"""
    return [translate(name, language) for name in SERIES if "previous" not in name]


def _summary_table(rows, lang: str) -> str:
    """The model summary in the reader's language: one line per layer (its name and type, output shape
    and parameters), as Keras' summary has them. A list, not a table: a phone's 300 px would squeeze
    three columns until words broke mid-word ("BatchNormali-zation")."""
    if not rows:
        return ""
    batch = translate("summary_batch", lang)
    lines = [translate("summary_heading", lang)]
    for name, kind, shape, params in rows:
        lines.append("- " + translate("summary_row", lang, name=name, kind=kind,
                                      shape=", ".join([batch, *map(str, shape)]), count=params))
    total = sum(params for *_, params in rows)
    return "\n".join(lines) + "\n\n" + translate("summary_total", lang, total=total)


def _status(state, lang: str, stop_requested: bool) -> str:
    if state.phase == "downloading":
        text = translate("status_downloading", lang, done=state.loading_done / 1e6, total=state.loading_total / 1e6)
    elif state.phase == "starting":
        text = translate("status_starting", lang)
    elif state.phase in ("waiting", "loading"):
        text = (translate("status_loading", lang, done=state.loading_done, total=state.loading_total)
                if state.loading_total else translate("status_preparing", lang))
    elif state.phase == "training":
        sizes = state.epoch_sizes or (None,)
        text = translate("status_training", lang, epoch=min(state.epoch + 1, state.epochs), epochs=state.epochs,
                         size=sizes[min(state.epoch, len(sizes) - 1)],
                         batch=state.batch, steps=state.steps, per_epoch=waiting_line.duration(state.seconds_per_epoch),
                         eta=waiting_line.duration(state.eta_seconds))
        if stop_requested:
            text += " " + translate("status_stop_requested", lang)
    elif state.phase == "failed":
        text = translate("status_failed", lang, message=translate(state.error_key, lang, detail=state.error_detail))
    else:
        last = state.history[-1] if state.history else {}
        accuracy = percent(last["val_accuracy"], lang) if "val_accuracy" in last else "—"
        if state.phase == "finished":
            key = "status_finished"
        else:  # mid-epoch or between two epochs
            key = "status_stopped" if len(state.history) > state.full_epochs else "status_stopped_between"
        text = translate(key, lang, count=state.full_epochs, epoch=state.full_epochs + 1, epochs=state.epochs,
                         val_accuracy=accuracy)
        if state.timed_out:
            text += " " + translate("error_time_limit", lang, seconds=config.MAX_TRAIN_SECONDS_APP)
    if state.skipped:
        text += translate("status_skipped", lang, count=len(state.skipped))
    return text


def _worse_than_before(state, lang: str, earlier) -> str:
    """A note when this run's model, which replaces the session's, scores below the previous run's:
    the student learns that Classify now uses the weaker one ("" when it is not weaker)."""
    before = (earlier or [None])[-1]
    validation = [row["val_accuracy"] for row in state.history if "val_accuracy" in row]
    if state.model is None or not before or before.get("last_val_accuracy") is None or not validation:
        return ""
    names = tuple(getattr(state, "class_names", ()) or ())
    if runs.is_own(before) or (names and names != tuple(config.CLASS_NAMES)):
        return ""  # a class's own photos change between runs: their accuracies are not on the same photos
    if round(100 * validation[-1], 1) >= round(100 * before["last_val_accuracy"], 1):
        return ""
    return translate("training_worse", lang, previous=runs.label(before),
                     before=percent(before["last_val_accuracy"], lang), now=percent(validation[-1], lang))


def _final_status(state, lang: str, earlier) -> str:
    return _status(state, lang, False) + _worse_than_before(state, lang, earlier)


def epochs_shown(epochs: int, previous) -> float:
    """The epoch axis' end: the whole of this run and the whole of the previous one."""
    return max([float(epochs), *(float(row["step"]) for row in previous or [])])


def _chart(curve, metric: str, lang: str, previous, epochs: float):
    """A LinePlot update that also names the legend's series and the previous run's lines, and spans
    the epochs (it redraws the chart)."""
    return gr.LinePlot(curve_frame(curve, metric, lang, previous), colors_in_legend=legend_series(lang),
                       caption=translate("training_previous_caption", lang) if previous else None, x_lim=[0, epochs])


def _queued(text) -> tuple:
    """An update of the status alone (the charts keep what they show; nothing to redraw yet)."""
    return (text, *[gr.skip()] * 6, None)


async def train(preset: str = recipes.DEFAULT_PRESET, epochs: int | None = None, batch_size: int | None = None,
          image_size: int | None = None, learning_rate: float | None = None, validation_split: float | None = None,
          device: str = "cpu", previous_curve=None, history=None, dataset: str = "flowers",
          request: gr.Request = None):
    """Trains a preset (with the student's overrides, clamped to the server's limits), streaming curves,
    on the flowers or (`dataset` "own") on this session's own photos from the Your photos tab.

    Yields (status, accuracy frame, loss frame, summary, trained model's handle, this run's curve, the
    session's run history with this run added, and what the tab shows for a language switch to redraw).
    Joins the line at once: while other runs are ahead it says its place and about how long (Stop
    leaves the line), then trains in its turn. The event runs many at a time; turns.LINE lets one train
    (with a cluster, as many as it has room for). Every update is in the page's language of the moment.
    """
    from flower_demo.train.placement import new_run  # lazy: keeps TensorFlow out of the page's start-up

    lang = ui.language(request)
    if preset not in recipes.PRESETS:
        raise ui.error("error_unknown_preset", lang, detail=repr(preset))
    try:
        run_config = recipes.with_overrides(
            recipes.live_preset(preset), max_epochs=recipes.live_epoch_cap(preset), epochs=epochs,
            batch_size=batch_size, image_size=image_size, learning_rate=learning_rate,
            validation_split=validation_split)
    except ValueError as problem:
        raise ui.error("error_setting", lang, detail=str(problem)) from problem
    if dataset not in DATASETS:
        raise ui.error("error_setting", lang, detail=f"dataset {dataset!r}")
    photos = None
    if dataset == "own":  # the photos as they are now, decoded at the run's size (~0.1 s for 300)
        own = ui.own_photos_of(request, lang)
        try:
            photos = await anyio.to_thread.run_sync(own.for_training, run_config.image_size)
        except own_photos.OwnPhotosError as problem:
            raise ui.error(problem.key, lang, detail=problem.detail, **problem.values) from problem
    session = getattr(request, "session_hash", None) or str(id(request))
    claim = RUNS.claim(session)
    if claim is None:  # a second click during one's own run: say so, and leave that run alone
        gr.Info(translate("error_training_busy", lang), title="")
        yield (gr.skip(), *[gr.skip()] * 6, gr.skip())
        return
    ticket, previous = None, previous_curve or []
    shown_epochs = epochs_shown(run_config.epochs, previous)  # the previous run whole, even a longer one
    try:
        # On a Ray cluster when one is configured (FLOWER_RAY_ADDRESS), else in this process.
        run = new_run(run_config, config.MAX_TRAIN_SECONDS_APP, device="gpu" if device == "gpu" else "cpu",
                      before_batch=PRIORITY.yield_to_requests, photos=photos)  # clicks before training
        claim.follow(run)
        ticket = turns.LINE.join(turns.expected_seconds(run_config))
        async for waiting in waiting_line.wait_in_line(ticket, claim, lambda: ui.language(request)):
            yield _queued(waiting)
        if claim.stopping:
            left = {language: translate("status_left_line", language) for language in LANGUAGES}
            yield (left[ui.language(request)], *[gr.skip()] * 6, {"status": left})
            return
        ticket.remaining = lambda: run.state.eta_seconds
        # Before the run: the legend names only the runs drawn, the epoch axis spans both runs. (The
        # chart redraws itself for these; sent now, while the photos load, no curve point is lost to it.)
        lang = ui.language(request)
        yield (translate("status_preparing", lang), *[_chart([], metric, lang, previous, shown_epochs)
                                                      for metric in ("accuracy", "loss")],
               gr.skip(), gr.skip(), gr.skip(), gr.skip(), None)
        drawn_in = lang
        stream = run.stream()
        while (state := await anyio.to_thread.run_sync(next, stream, None)) is not None:
            lang = ui.language(request)  # a language switch mid-run shows at the next update
            if lang == drawn_in:
                frames = [curve_frame(state.curve, metric, lang, previous) for metric in ("accuracy", "loss")]
            else:  # the legend's names change too
                frames, drawn_in = [_chart(state.curve, metric, lang, previous, shown_epochs)
                                    for metric in ("accuracy", "loss")], lang
            if state.phase in ("finished", "stopped", "failed"):
                recorded = _recorded(history, run_config, state, dataset,  # first: the model is named after its run
                                     None if photos is None else len(photos.labels))
                model = model_choice.keep_model(state.model, request, lang) if state.model is not None else gr.skip()
                curve = state.curve if state.curve else gr.skip()
                if state.epoch_seconds:
                    turns.record_pace(run_config, state.seconds_per_full_epoch)
                shown = {"status": {language: _final_status(state, language, history) for language in LANGUAGES},
                         "rows": state.summary_rows, "curve": state.curve, "previous": previous,
                         "epochs": shown_epochs}
                yield (shown["status"][lang], *frames, _summary_table(state.summary_rows, lang), model, curve,
                       recorded, shown)
            else:
                yield (_status(state, lang, run.stopping), *frames,
                       _summary_table(state.summary_rows, lang) or gr.skip(), gr.skip(), gr.skip(), gr.skip(), None)
    finally:  # O(1): on the event loop when the tab closes
        claim.stop()  # a closed tab's run ends at its next batch (a finished run ignores it)
        if ticket is not None:
            turns.LINE.leave(ticket)
        RUNS.release(session, claim)


def redraw(shown, request: gr.Request = None):
    """The last run's status, curves and summary again in the page's language after a switch (nothing
    while a run streams: its next update is in the new language)."""
    if not shown:
        return (gr.skip(),) * 4
    lang = ui.language(request)
    status = shown["status"].get(lang, gr.skip())
    if shown.get("curve") is None:
        return status, gr.skip(), gr.skip(), gr.skip()
    charts = [_chart(shown["curve"], metric, lang, shown["previous"], shown["epochs"])
              for metric in ("accuracy", "loss")]
    return status, *charts, _summary_table(shown["rows"], lang) or gr.skip()


def _recorded(history, run_config, state, dataset: str = "flowers", photos: int | None = None):
    """The history with this run added (and its model marked as this run's), if it left a model."""
    if state.model is None:
        return gr.skip()
    history = runs.appended(history, runs.record(run_config, state, dataset, photos))
    runs.remember_origin(state.model, run=history[-1])
    return history


def settings_from_link(request: gr.Request = None):
    """A shared link's preset and epochs (`?preset=seed_augmented&epochs=5`) into the settings."""
    link = page_links.page_link(request)
    if link.preset is None and link.epochs is None:
        return (gr.skip(),) * 6
    preset = link.preset or recipes.DEFAULT_PRESET
    epochs, *others = load_preset(preset)
    if link.epochs:
        epochs = min(link.epochs, recipes.live_epoch_cap(preset))
    return (preset, epochs, *others)


def stop_training(request: gr.Request = None) -> None:
    """Asks this student's run (only theirs) to stop after the current batch; the model is kept."""
    RUNS.stop(getattr(request, "session_hash", None))


def preset_for_dataset(dataset: str):
    """The preset suited to the chosen photos, with its settings: `small` for a class's own."""
    preset = OWN_PRESET if dataset == "own" else recipes.DEFAULT_PRESET
    return (preset, *load_preset(preset))


def load_preset(preset: str):
    """A preset's settings into the sliders (epochs shown as capped for live use)."""
    chosen = recipes.live_preset(preset)
    epochs = min(chosen.epochs, recipes.live_epoch_cap(chosen.preset))
    return epochs, chosen.batch_size, chosen.image_size, chosen.learning_rate, chosen.validation_split


def detect_gpu():
    from flower_demo.train.training import gpu_available

    return gr.update(visible=gpu_available())


def build(demo: gr.Blocks, student_model: gr.State, run_history: gr.State) -> None:
    live = recipes.PRESETS[recipes.DEFAULT_PRESET]
    color_map = {**series_colors("es"), **series_colors("en")}
    with gr.Tab(ui.t("tab_training"), id="training"):
        gr.Markdown(ui.t("training_heading"))
        # The preset and Train at the top of the controls, the curves beside them (on a phone, right
        # after them: the rarer settings wait folded).
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                dataset_radio = components.Radio(ui.choices(DATASETS, "dataset_"), value="flowers",
                                                 label=ui.t("dataset_choice"), elem_id="training-dataset")
                preset_dropdown = components.Dropdown(ui.choices(recipes.PRESETS, "preset_"),
                                                      value=recipes.DEFAULT_PRESET, label=ui.t("preset"))
                with gr.Row():
                    train_button = gr.Button(ui.t("train_button"), variant="primary", min_width=120)
                    stop_button = gr.Button(ui.t("stop_button"), variant="stop", min_width=120)
                epochs_slider = components.Slider(1, config.MAX_EPOCHS_APP, value=live.epochs, step=1,
                                                  label=ui.t("epochs"))
                with gr.Accordion(ui.t("training_more_settings"), open=False):
                    batch_slider = components.Slider(config.MIN_BATCH_SIZE, config.MAX_BATCH_SIZE,
                                                     value=live.batch_size, step=4, label=ui.t("batch_size"))
                    size_slider = components.Slider(config.MIN_IMAGE_SIZE, config.MAX_IMAGE_SIZE, value=live.image_size,
                                                    step=4, label=ui.t("image_size"))
                    rate_number = components.Number(live.learning_rate, minimum=config.MIN_LEARNING_RATE,
                                                    maximum=config.MAX_LEARNING_RATE, label=ui.t("learning_rate"))
                    split_slider = components.Slider(config.MIN_VALIDATION_SPLIT, config.MAX_VALIDATION_SPLIT,
                                                     value=live.validation_split, step=0.05,
                                                     label=ui.t("validation_split"))
                device_radio = components.Radio(["cpu", "gpu"], value="cpu", label=ui.t("device"), visible=False)
            with gr.Column(scale=3, min_width=320):
                status_markdown = gr.Markdown(elem_id="training-status")
                # No fixed height: a fixed one clips the legend under the chart. Side by side on a
                # projector, one above the other on a phone (min_width).
                # "~g": ticks read 0, 0.5, 1 (not 0.010); the legend has no title ("series" is a column name).
                with gr.Row():
                    accuracy_plot = gr.LinePlot(x="step", y="value", color="series", color_map=color_map, y_lim=[0, 1],
                                                x_title=ui.t("epoch_axis"), y_title=ui.t("accuracy_plot"),
                                                label=ui.t("accuracy_plot"), x_axis_format="~g", color_title="",
                                                min_width=300, elem_id="accuracy-plot")
                    loss_plot = gr.LinePlot(x="step", y="value", color="series", color_map=color_map,
                                            x_title=ui.t("epoch_axis"), y_title=ui.t("loss_plot"),
                                            label=ui.t("loss_plot"), x_axis_format="~g", color_title="",
                                            min_width=300, elem_id="loss-plot")
        with gr.Accordion(ui.t("model_summary"), open=False):
            summary_markdown = gr.Markdown(elem_id="model-summary")  # a table in the reader's language
        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("training_intro"))
        last_curve = gr.State(None, time_to_live=3600)  # this student's previous curves, to overlay
        shown = gr.State(None, time_to_live=3600)  # the last run's status, curves and summary, for redraws

        # .input, not .change: a shared link sets the preset and its own epochs (settings_from_link).
        # A class's own photos want the small-set preset (and the flowers the default): chosen with them.
        dataset_radio.input(preset_for_dataset, dataset_radio,
                            [preset_dropdown, epochs_slider, batch_slider, size_slider, rate_number, split_slider],
                            api_visibility="private")
        preset_dropdown.input(load_preset, preset_dropdown,
                              [epochs_slider, batch_slider, size_slider, rate_number, split_slider],
                              api_visibility="private")
        demo.load(settings_from_link, None,
                  [preset_dropdown, epochs_slider, batch_slider, size_slider, rate_number, split_slider],
                  api_visibility="private", show_progress="hidden")
        train_button.click(
            train,
            [preset_dropdown, epochs_slider, batch_slider, size_slider, rate_number, split_slider, device_radio,
             last_curve, run_history, dataset_radio],
            [status_markdown, accuracy_plot, loss_plot, summary_markdown, student_model, last_curve, run_history,
             shown],
            api_name="train", concurrency_limit=config.TRAINING_WAITING, concurrency_id="training",
            show_progress_on=[status_markdown], trigger_mode="multiple",  # a second click is told, not ignored
        )
        stop_button.click(stop_training, None, None, queue=False, api_name="stop")
        demo.load(detect_gpu, None, device_radio, api_visibility="private")
        language_switch.redraw_on_switch(redraw, [shown], [status_markdown, accuracy_plot, loss_plot, summary_markdown])
