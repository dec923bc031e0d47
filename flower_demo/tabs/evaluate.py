"""Evaluate tab: a model on the validation photos, its confusion matrix, and its mistakes photo by photo,
each of which can be sent to Classify (where Grad-CAM shows where the model looked)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from flower_demo import config, errors
from flower_demo.data import download, images
from flower_demo.look import result_plots
from flower_demo.train import runs
from flower_demo.i18n import class_label, translate
from flower_demo.server.priority import PRIORITY
from flower_demo.tabs import components, inputs, model_choice, ui

GALLERY_PHOTOS = 12  # two rows on a projector; the text says how many the cell holds
THUMBNAIL_SIDE = 240
ANY = "any"
CLASS_CHOICES = (ANY, *config.CLASS_NAMES)


def _origin_note(network, shipped: bool, lang: str) -> str:
    """Whether the model could have trained on these photos, as far as the app knows."""
    origin = runs.origin_of(network)
    if shipped:
        served = config.classifier_path()
        if served == config.SHIPPED_MODEL_PATH:  # the flower_cnn preset's final fit, every photo
            return translate("evaluate_note_shipped", lang)
        return translate("evaluate_note_server", lang, name=served.name)
    if "run" in origin:
        return translate("evaluate_note_run", lang, number=origin["run"]["number"], preset=origin["run"]["preset"])
    if "upload" in origin:
        return translate("evaluate_note_upload", lang, name=origin["upload"])
    return ""


def _evaluation(model: str, student_model, lang: str, **options):
    """(Evaluation, network, notes) for a request, computed once per model and photo folder."""
    from flower_demo.look import evaluation  # lazy: TensorFlow

    network, fallback = model_choice.chosen_model(model, student_model, lang)
    run = runs.origin_of(network).get("run")
    split = run["settings"]["validation_split"] if run else config.VALIDATION_SPLIT  # the photos it held out
    try:
        folder = download.locate_dataset(allow_download=False)
        result = evaluation.cached_evaluation(network, folder, split, **options)
    except errors.DatasetError as problem:
        key = "error_no_local_photos" if problem.key == "error_download" else problem.key
        raise ui.error(key, lang, detail=problem.detail) from problem
    except evaluation.EvaluationError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem
    shipped = model == "shipped" or bool(fallback)  # asked for, or this student has no model yet
    notes = [note for note in (_origin_note(network, shipped, lang), fallback) if note]
    return result, network, notes


def evaluate(model: str = "own", student_model=None, request: gr.Request = None, progress=gr.Progress()):
    """Accuracy, per class and the confusion matrix of a model on the validation photos.

    Returns (the matrix as a picture, a summary with what the photos are, the numbers as JSON).
    """
    lang = ui.language(request)

    def report(stage: str, done: int, total: int) -> None:
        progress((done, total), desc=translate(f"evaluate_{stage}", lang, done=done, total=total))

    result, _, notes = _evaluation(model, student_model, lang, progress=report,
                                   before_batch=PRIORITY.yield_to_requests)  # clicks before scoring
    names = [class_label(name, lang) for name in result.class_names]
    counts = result.confusion.sum(axis=1)  # a class with no validation photo has no accuracy, not 0 %
    shares = [f"{100 * share:.0f} %" if count else "—" for share, count in zip(result.per_class_accuracy, counts)]
    rows = [f"{name} · {share}" for name, share in zip(names, shares)]
    picture = result_plots.confusion_picture(
        result.confusion, rows, names, translate("confusion_title", lang, accuracy=100 * result.accuracy),
        translate("confusion_true", lang), translate("confusion_predicted", lang))
    summary = translate("evaluate_summary", lang, accuracy=100 * result.accuracy, photos=result.photos,
                        split=round(100 * result.validation_split))
    if result.photos < result.available:
        summary += translate("evaluate_sampled", lang, photos=result.photos, available=result.available)
    summary += "\n\n" + translate("evaluate_per_class", lang,
                                    classes=", ".join(f"{name} {share}" for name, share in zip(names, shares)))
    return picture, "\n\n".join([summary, *notes]), dict(result.to_json(), validation_split=result.validation_split)


def _class_index(name: str, lang: str) -> int | None:
    if name in (None, ANY):
        return None
    if name not in config.CLASS_NAMES:
        raise ui.error("error_setting", lang, detail=f"class {name!r}")
    return config.CLASS_NAMES.index(name)


def _listing_text(result, true: int | None, predicted: int | None, count: int, shown: int, lang: str) -> str:
    if not count:
        return translate("mistakes_none", lang)
    names = {"true": class_label(result.class_names[true], lang) if true is not None else "",
             "predicted": class_label(result.class_names[predicted], lang) if predicted is not None else ""}
    if true is not None and predicted is not None:
        key = "mistakes_right" if true == predicted else "mistakes_cell"
    else:
        key = {(True, True): "mistakes_any", (False, True): "mistakes_any_true",
               (True, False): "mistakes_any_predicted"}[(true is None, predicted is None)]
    return translate(key, lang, count=count, shown=shown, **names)


@ui.light
def show_mistakes(true_class: str = ANY, predicted_class: str = ANY, model: str = "own", student_model=None,
                  request: gr.Request = None):
    """The photos of one cell of the matrix (true × predicted), or with `any` the surest mistakes.

    Returns (gallery of (photo, caption), what is shown, the photos' details for the session).
    """
    lang = ui.language(request)
    true, predicted = _class_index(true_class, lang), _class_index(predicted_class, lang)
    result, _, _ = _evaluation(model, student_model, lang)
    rows = result.cell(true, predicted)
    shown = []
    for row in rows[:GALLERY_PHOTOS]:
        said = int(result.predicted[row])
        shown.append({"path": str(Path(result.root) / result.files[row]), "file": result.files[row],
                      "class": result.class_names[result.labels[row]],
                      "true": class_label(result.class_names[result.labels[row]], lang),
                      "predicted": class_label(result.class_names[said], lang),
                      "confidence": round(100 * float(result.confidence[row]), 1)})
    gallery = [(images.fit_within(inputs.read_image(photo["path"], lang), THUMBNAIL_SIDE),
                translate("mistakes_caption", lang, **photo)) for photo in shown]
    return gallery, _listing_text(result, true, predicted, len(rows), len(shown), lang), shown


def show_surest_mistakes(model: str = "own", student_model=None, request: gr.Request = None):
    """Both classes back to `any`, and the mistakes the model was surest about."""
    return (ANY, ANY, *show_mistakes(ANY, ANY, model, student_model, request))


def pick_cell(selection: gr.SelectData):
    """The matrix cell a click landed in, as (true class, predicted class); a click beside it: nothing."""
    x, y = selection.index
    cell = result_plots.cell_at(x, y, len(config.CLASS_NAMES))
    if cell is None:
        return gr.skip(), gr.skip()
    return config.CLASS_NAMES[cell[0]], config.CLASS_NAMES[cell[1]]


def select_photo(shown, selection: gr.SelectData, request: gr.Request = None):
    """The gallery photo a student clicked: kept for 'Send to Classify', and named."""
    if not shown or not 0 <= selection.index < len(shown):
        return None, ""
    photo = shown[selection.index]
    return photo, translate("mistakes_selected", ui.language(request), **photo)


def send_to_classify(chosen: dict | None, model: str = "own", request: gr.Request = None):
    """The chosen photo, full size, into the Classify tab, which then opens and answers with the
    model that was evaluated (and, knowing the photo's class, says whether it is right)."""
    lang = ui.language(request)
    if not chosen:
        raise ui.error("error_pick_photo", lang)
    return inputs.read_image(chosen["path"], lang), chosen["class"], model, gr.Tabs(selected="classify")


def build(student_model: gr.State, tabs: gr.Tabs, classify_inputs, classify_sent) -> None:
    """The tab. `classify_inputs` are the Classify tab's photo, true class and model, and
    `classify_sent(event)` chains its answer on an event that fills them (classify.build returns both)."""
    with gr.Tab(ui.t("tab_evaluate"), id="evaluate"):
        gr.Markdown(ui.t("evaluate_intro"))
        with gr.Row():
            with gr.Column(scale=1):
                model_radio = components.Radio([(ui.t(f"inside_model_{key}"), key) for key in model_choice.MODEL_CHOICES],
                                       value="own", label=ui.t("inside_model"))
                evaluate_button = gr.Button(ui.t("evaluate_button"), variant="primary")
            with gr.Column(scale=2):
                summary_markdown = gr.Markdown()
        confusion_image = components.PictureOutput(label=ui.t("confusion_image"), format="png", interactive=False,
                                           elem_id="confusion-matrix", buttons=["download", "fullscreen"])
        with gr.Accordion(ui.t("evaluation_numbers"), open=False):
            numbers_json = gr.JSON()
        gr.Markdown(ui.t("mistakes_intro"))
        class_choices = [(ui.t("class_any"), ANY)] + [(ui.t(f"class_{name}"), name) for name in config.CLASS_NAMES]
        with gr.Row():
            true_dropdown = components.Dropdown(class_choices, value=ANY, label=ui.t("true_class"))
            predicted_dropdown = components.Dropdown(class_choices, value=ANY, label=ui.t("predicted_class"))
            with gr.Column():
                mistakes_button = gr.Button(ui.t("mistakes_button"))
                surest_button = gr.Button(ui.t("confident_button"))
        mistakes_markdown = gr.Markdown()
        mistakes_gallery = gr.Gallery(label=ui.t("mistakes_gallery"), columns=6, format="jpeg", object_fit="cover",
                                      allow_preview=False, elem_id="mistakes-gallery")
        with gr.Row():
            chosen_markdown = gr.Markdown()
            send_button = gr.Button(ui.t("send_classify"), variant="primary")
        shown_photos = gr.State([], time_to_live=3600)  # the gallery's photos: path, classes, confidence
        chosen_photo = gr.State(None, time_to_live=3600)

        mistake_inputs = [true_dropdown, predicted_dropdown, model_radio, student_model]
        mistake_outputs = [mistakes_gallery, mistakes_markdown, shown_photos]
        evaluated = evaluate_button.click(evaluate, [model_radio, student_model],
                                          [confusion_image, summary_markdown, numbers_json], api_name="evaluate",
                                          concurrency_limit=1, concurrency_id="evaluation",
                                          show_progress_on=[summary_markdown])
        evaluated.success(show_surest_mistakes, [model_radio, student_model],
                          [true_dropdown, predicted_dropdown, *mistake_outputs], api_visibility="private")
        mistakes_button.click(show_mistakes, mistake_inputs, mistake_outputs, api_name="mistakes")
        surest_button.click(show_surest_mistakes, [model_radio, student_model],
                            [true_dropdown, predicted_dropdown, *mistake_outputs], api_visibility="private")
        confusion_image.select(pick_cell, None, [true_dropdown, predicted_dropdown], api_visibility="private").success(
            show_mistakes, mistake_inputs, mistake_outputs, api_visibility="private")
        gr.on([true_dropdown.input, predicted_dropdown.input], show_mistakes, mistake_inputs, mistake_outputs,
              api_visibility="private")
        mistakes_gallery.select(select_photo, shown_photos, [chosen_photo, chosen_markdown], api_visibility="private")
        classify_sent(send_button.click(send_to_classify, [chosen_photo, model_radio], [*classify_inputs, tabs],
                                        api_visibility="private"))
