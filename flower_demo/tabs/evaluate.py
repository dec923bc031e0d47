"""Evaluate tab: a model on the validation photos, its confusion matrix, and its mistakes photo by photo,
each of which can be sent to Classify (where Grad-CAM shows where the model looked).

At 1366×768 the model and "Evaluate" sit left of the matrix; the mistakes follow, their classes left of
the photos. What the server wrote is kept as data (which model, the matrix, the photos shown), so a
language switch redraws it without evaluating again.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from flower_demo import config, errors
from flower_demo.data import download, images, own_photos
from flower_demo.look import result_plots
from flower_demo.train import runs
from flower_demo.i18n import LANGUAGES, class_label, class_labels, number, translate
from flower_demo.server.priority import PRIORITY
from flower_demo.tabs import components, inputs, language_switch, model_choice, ui

GALLERY_PHOTOS = 12  # six rows of two; the text says how many the cell holds
GALLERY_COLUMNS = 2  # thumbnails ~150 px on a phone (no sideways scroll): "rosas → tulipanes" fits a caption
GALLERY_HEIGHT = 480  # px: two rows at a time on a projector, the chosen photo and "Send" below in sight
THUMBNAIL_SIDE = 240
ANY = "any"


def _origin_notes(network, shipped: bool, fallback: bool) -> tuple[dict, list]:
    """What the summary says of the model: its name in every language (a run with its validation
    accuracy, a file brought, the shipped or the server's model), then, as [key, values] pairs to
    translate in any language, whether it could have trained on these photos and why it is the shipped one."""
    origin = {} if shipped else runs.origin_of(network)
    name = {language: model_choice.model_line(network, shipped, language) for language in LANGUAGES}
    if shipped:
        served = config.classifier_path()
        notes = ([["evaluate_note_shipped", {}]] if served == config.SHIPPED_MODEL_PATH  # flower_cnn, every photo
                 else [["evaluate_note_server", {"name": served.name}]])
    elif "run" in origin:
        notes = [["evaluate_note_run", {"number": origin["run"]["number"], "preset": origin["run"]["preset"]}]]
    elif "upload" in origin:
        notes = [["evaluate_note_upload", {"name": origin["upload"]}]]
    else:
        notes = []
    return name, notes + ([["inside_fallback", {}]] if fallback else [])


def _own_evaluation(network, run: dict, request, lang: str, **options):
    """A model trained on a session's own photos, on the photos its run held out (the same split of the
    photos as they are now: photos added since then fall on either side)."""
    from flower_demo.look import evaluation
    from flower_demo.model import networks

    own = ui.own_photos_of(request, lang)
    try:
        photos = own.for_training(networks.input_size(network))
        return evaluation.evaluate_photos(network, photos, validation_split=run["settings"]["validation_split"],
                                          **options)
    except own_photos.OwnPhotosError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail, **problem.values) from problem


def _evaluation(model: str, student_model, lang: str, waiting=None, request=None, **options):
    """(Evaluation, the model's name, notes) for a request, computed once per model and photo folder;
    the name and notes as [key, values] pairs. `waiting` (a gr.Progress) says so while the app warms up."""
    from flower_demo.look import evaluation  # lazy: TensorFlow

    network, fallback = model_choice.chosen_model(model, student_model, lang, waiting)
    run = runs.origin_of(network).get("run")
    split = run["settings"]["validation_split"] if run else config.VALIDATION_SPLIT  # the photos it held out
    try:
        if runs.is_own(run):
            result = _own_evaluation(network, run, request, lang, **options)
        else:
            folder = download.locate_dataset(allow_download=False)
            result = evaluation.cached_evaluation(network, folder, split, **options)
    except errors.DatasetError as problem:
        key = "error_no_local_photos" if problem.key == "error_download" else problem.key
        raise ui.error(key, lang, detail=problem.detail) from problem
    except evaluation.EvaluationError as problem:
        raise ui.error(problem.key, lang, detail=problem.detail) from problem
    shipped = model == "shipped" or bool(fallback)  # asked for, or this student has no model yet
    name, notes = _origin_notes(network, shipped, bool(fallback))
    now = len(ui.own_photos_of(request, lang)) if runs.is_own(run) else None
    if now is not None and run.get("photos") not in (None, now):  # another split than the run's
        notes.append(["evaluate_note_own_changed", {"then": run["photos"], "now": now}])
    return result, name, notes


def _matrix_alt(view: dict, names: list[str], lang: str) -> str:
    """"Confusion matrix: 586 photos, 80.9 % right; most confused: roses taken for tulips (12)."."""
    confusion = np.asarray(view["confusion"])
    mistakes = confusion - np.diag(np.diag(confusion))
    if mistakes.max(initial=0) > 0:
        true, predicted = np.unravel_index(int(np.argmax(mistakes)), mistakes.shape)
        confused = translate("evaluate_alt_confused", lang, true=names[true], predicted=names[predicted],
                             mistakes=int(mistakes[true, predicted]))
    else:
        confused = translate("evaluate_alt_no_mistakes", lang)
    return translate("evaluate_alt_matrix", lang, count=view["photos"], accuracy=100 * view["accuracy"],
                     confused=confused)


def _report(view: dict, lang: str):
    """(the matrix as a picture, the summary) of an evaluation, in `lang`."""
    names = class_labels(view["class_names"], lang)
    confusion = np.asarray(view["confusion"])
    counts = confusion.sum(axis=1)  # a class with no validation photo has no accuracy, not 0 %
    shares = [f"{100 * share:.0f} %" if count else "—" for share, count in zip(view["per_class"], counts)]
    rows = [f"{name} · {share}" for name, share in zip(names, shares)]
    picture = result_plots.confusion_picture(
        confusion, rows, names, translate("confusion_title", lang, accuracy=100 * view["accuracy"]),
        translate("confusion_true", lang), translate("confusion_predicted", lang))
    summary = translate("evaluate_summary", lang, accuracy=100 * view["accuracy"], photos=view["photos"],
                        split=round(100 * view["split"]))
    if view["photos"] < view["available"]:
        summary += translate("evaluate_sampled", lang, photos=view["photos"], available=view["available"])
    summary += "\n\n" + translate("evaluate_per_class", lang,
                                    classes=", ".join(f"{name} {share}" for name, share in zip(names, shares)))
    notes = [translate(note_key, lang, **note_values) for note_key, note_values in view["notes"]]
    return picture, "\n\n".join([view["model"][lang], summary, *notes])


def evaluate(model: str = "own", student_model=None, request: gr.Request = None, progress=gr.Progress()):
    """Accuracy, per class and the confusion matrix of a model on the validation photos.

    Returns (the matrix as a picture, a summary with which model and what the photos are, the numbers
    as JSON, and for the session what it takes to write them again in another language).
    """
    lang = ui.language(request)

    def report(stage: str, done: int, total: int) -> None:
        progress((done, total), desc=translate(f"evaluate_{stage}", lang, done=done, total=total))

    result, name, notes = _evaluation(model, student_model, lang, progress, request, progress=report,
                                      before_batch=PRIORITY.yield_to_requests)  # clicks before scoring
    view = {"confusion": result.confusion.tolist(), "per_class": [float(v) for v in result.per_class_accuracy],
            "accuracy": float(result.accuracy), "photos": int(result.photos), "available": int(result.available),
            "split": float(result.validation_split), "class_names": list(result.class_names), "model": name,
            "notes": notes}
    picture, summary = _report(view, lang)
    return picture, summary, dict(result.to_json(), validation_split=result.validation_split), view


def _class_index(name: str, classes, lang: str) -> int | None:
    if name in (None, ANY):
        return None
    if name not in classes:
        raise ui.error("error_setting", lang, detail=f"class {name!r}")
    return list(classes).index(name)


def _listing_text(listing: dict, shown: list, lang: str) -> str:
    """What the gallery shows: a cell's photos, or the surest mistakes (of a class, or of all), and the
    model's confidence in each, in the gallery's order (the captions say only which class it took for
    which: a caption is one line over its thumbnail, cut past ~100 px on a phone)."""
    true, predicted, count = listing["true"], listing["predicted"], listing["count"]
    if not count:
        return translate("mistakes_none", lang)
    classes = class_labels(listing["class_names"], lang)
    names = {"true": classes[true] if true is not None else "",
             "predicted": classes[predicted] if predicted is not None else ""}
    if true is not None and predicted is not None:
        key = "mistakes_right" if true == predicted else "mistakes_cell"
    else:
        key = {(True, True): "mistakes_any", (False, True): "mistakes_any_true",
               (True, False): "mistakes_any_predicted"}[(true is None, predicted is None)]
    text = translate(key, lang, count=count, shown=len(shown), **names)
    values = ", ".join(f"{number(photo['confidence'], '.0f', lang)}\u00a0%" for photo in shown)  # 96 % on one line
    return f"{text} {translate('evaluate_confidences', lang, values=values)}" if shown else text


def _label(photo: dict, key: str, lang: str) -> str:
    """A shown photo's class (`key` "class" or "said") as a reader sees it: a class's own never translated."""
    return photo[key] if photo.get("own") else class_label(photo[key], lang)


def _caption(photo: dict, lang: str) -> str:
    return translate("mistakes_caption", lang, true=_label(photo, "class", lang), predicted=_label(photo, "said", lang),
                     confidence=photo["confidence"])


def _gallery(shown: list, lang: str) -> list:
    """The photos as thumbnails, each captioned (the caption is also its alt text) in `lang`."""
    return [(images.fit_within(inputs.read_image(photo["path"], lang), THUMBNAIL_SIDE), _caption(photo, lang))
            for photo in shown]


@ui.light
def show_mistakes(true_class: str = ANY, predicted_class: str = ANY, model: str = "own", student_model=None,
                  request: gr.Request = None, progress=gr.Progress()):
    """The photos of one cell of the matrix (true × predicted), or with `any` the surest mistakes.

    Returns (gallery of (photo, caption), what is shown, and for the session the photos' details and
    what the listing is).
    """
    lang = ui.language(request)
    progress(0.0, desc=translate("evaluate_progress_mistakes", lang))  # Gradio shows no text without a number
    result, _, _ = _evaluation(model, student_model, lang, progress, request)
    true, predicted = _class_index(true_class, result.class_names, lang), _class_index(predicted_class,
                                                                                     result.class_names, lang)
    rows = result.cell(true, predicted)[:GALLERY_PHOTOS]
    if result.rows is not None:  # a session's own photos: no file of theirs to show but the session's own
        own = ui.own_photos_of(request, lang)
        ui.forget_own_pictures(request, "mistakes")  # the last listing's files: one listing's at a time
        paths = [ui.own_picture_file(request, own.photo_at(int(result.rows[row]))[1], "mistakes") for row in rows]
    else:
        paths = [str(Path(result.root) / result.files[row]) for row in rows]
    shown = [{"path": path, "file": result.files[row], "own": result.rows is not None,
              "class": result.class_names[result.labels[row]], "said": result.class_names[int(result.predicted[row])],
              "confidence": round(100 * float(result.confidence[row]), 1)}
             for path, row in zip(paths, rows)]
    listing = {"true": true, "predicted": predicted, "count": int(len(rows)), "class_names": list(result.class_names)}
    return _gallery(shown, lang), _listing_text(listing, shown, lang), shown, listing


def show_surest_mistakes(model: str = "own", student_model=None, request: gr.Request = None,
                         progress=gr.Progress()):
    """Both classes back to `any`, and the mistakes the model was surest about."""
    return (ANY, ANY, *show_mistakes(ANY, ANY, model, student_model, request, progress))


def pick_cell(view, selection: gr.SelectData):
    """The matrix cell a click landed in, as (true class, predicted class); a click beside it: nothing."""
    if not view:
        return gr.skip(), gr.skip()
    classes = view["class_names"]
    x, y = selection.index
    cell = result_plots.cell_at(x, y, len(classes))
    if cell is None:
        return gr.skip(), gr.skip()
    return classes[cell[0]], classes[cell[1]]


def mistake_classes(view, true_class: str = ANY, predicted_class: str = ANY, request: gr.Request = None):
    """"True class" and "Predicted class" for the evaluated model's classes (a class's own model has its
    own), keeping a choice the model still has; their words in the page's language."""
    if not view:
        return gr.skip(), gr.skip()
    lang = ui.language(request)
    classes = view["class_names"]
    choices = [(translate("class_any", lang), ANY), *zip(class_labels(classes, lang), classes)]
    return tuple(gr.update(choices=choices, value=chosen if chosen in classes else ANY)
                 for chosen in (true_class, predicted_class))


def _chosen_text(photo: dict, lang: str) -> str:
    key = "mistakes_selected_right" if photo["class"] == photo["said"] else "mistakes_selected"
    return translate(key, lang, file=photo["file"], true=_label(photo, "class", lang),
                     predicted=_label(photo, "said", lang), confidence=photo["confidence"])


def select_photo(shown, selection: gr.SelectData, request: gr.Request = None):
    """The gallery photo a student clicked: kept for 'Send to Classify', and named."""
    if not shown or not 0 <= selection.index < len(shown):
        return None, ""
    photo = shown[selection.index]
    return photo, _chosen_text(photo, ui.language(request))


def send_to_classify(chosen: dict | None, model: str = "own", request: gr.Request = None):
    """The chosen photo, full size, into the Classify tab, which then opens and answers with the
    model that was evaluated (and, knowing the photo's class, says whether it is right)."""
    lang = ui.language(request)
    if not chosen:
        raise ui.error("error_pick_photo", lang)
    picture = inputs.read_image(chosen["path"], lang)
    if chosen.get("own"):  # a session's own photo: a file of the session's own, never one of Gradio's
        picture = ui.own_picture_file(request, picture, "pick")
    return picture, chosen["class"], model, gr.Tabs(selected="classify")


# --- a language switch: what is shown, again in the page's new language ------------------------------

def matrix_alt_text(view, request: gr.Request = None):
    """The matrix's alt text, sent after the picture itself: /evaluate's picture must stay a plain file
    for its clients (an update with an alt text reaches them as a dict)."""
    if not view:
        return gr.skip()
    lang = ui.language(request)
    return gr.update(alt_text=_matrix_alt(view, class_labels(view["class_names"], lang), lang))


def redraw_report(view, request: gr.Request = None):
    if not view:
        return gr.skip(), gr.skip()
    picture, summary = _report(view, ui.language(request))
    return gr.update(value=picture, alt_text=matrix_alt_text(view, request)["alt_text"]), summary


def redraw_mistakes(shown, listing, request: gr.Request = None):
    if not listing:
        return gr.skip(), gr.skip()
    lang = ui.language(request)
    try:
        gallery = _gallery(shown or [], lang)
    except gr.Error:  # a photo gone from the folder since: the captions stay as they are
        gallery = gr.skip()
    return gallery, _listing_text(listing, shown or [], lang)


def redraw_chosen(chosen, request: gr.Request = None):
    return _chosen_text(chosen, ui.language(request)) if chosen else gr.skip()


def build(student_model: gr.State, tabs: gr.Tabs, classify_inputs, classify_sent) -> None:
    """The tab. `classify_inputs` are the Classify tab's photo, true class and model, and
    `classify_sent(event)` chains its answer on an event that fills them (classify.build returns both)."""
    with gr.Tab(ui.t("tab_evaluate"), id="evaluate"):
        gr.Markdown(ui.t("evaluate_heading"))
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                model_radio = model_choice.model_radio(student_model)
                evaluate_button = gr.Button(ui.t("evaluate_button"), variant="primary")
                summary_markdown = gr.Markdown()
                with gr.Accordion(ui.t("evaluation_numbers"), open=False):
                    numbers_json = gr.JSON()
            with gr.Column(scale=3, min_width=320):
                # No label chip nor toolbar over the matrix (the heading and the alt text name it).
                confusion_image = components.PictureOutput(label=ui.t("confusion_image"), show_label=False,
                                                           format="png", interactive=False, buttons=[],
                                                           elem_id="confusion-matrix")
                gr.Markdown(ui.t("evaluate_matrix_hint"))

        gr.Markdown(ui.t("evaluate_mistakes_heading"))
        class_choices = [(ui.t("class_any"), ANY)] + [(ui.t(f"class_{name}"), name) for name in config.CLASS_NAMES]
        with gr.Row():
            with gr.Column(scale=3, min_width=320):
                with gr.Row():
                    true_dropdown = components.Dropdown(class_choices, value=ANY, label=ui.t("true_class"))
                    predicted_dropdown = components.Dropdown(class_choices, value=ANY, label=ui.t("predicted_class"))
                with gr.Row():
                    mistakes_button = gr.Button(ui.t("mistakes_button"))
                    surest_button = gr.Button(ui.t("confident_button"))
                mistakes_markdown = gr.Markdown()
            with gr.Column(scale=2, min_width=320):
                # No label chip: it would cover the first photo (the text above says what they are).
                mistakes_gallery = gr.Gallery(label=ui.t("mistakes_gallery"), show_label=False, columns=GALLERY_COLUMNS,
                                              height=GALLERY_HEIGHT, format="jpeg", object_fit="cover",
                                              allow_preview=False, buttons=[], elem_id="mistakes-gallery")
                chosen_markdown = gr.Markdown()
                send_button = gr.Button(ui.t("send_classify"), variant="primary")
        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("evaluate_intro"))
            gr.Markdown(ui.t("mistakes_intro"))
        evaluated_view = gr.State(None, time_to_live=3600)  # the shown evaluation as data, for a redraw
        shown_photos = gr.State([], time_to_live=3600)  # the gallery's photos: path, classes, confidence
        shown_listing = gr.State(None, time_to_live=3600)  # which cell (or surest mistakes) they are
        chosen_photo = gr.State(None, time_to_live=3600)

        mistake_inputs = [true_dropdown, predicted_dropdown, model_radio, student_model]
        mistake_outputs = [mistakes_gallery, mistakes_markdown, shown_photos, shown_listing]
        evaluated = evaluate_button.click(evaluate, [model_radio, student_model],
                                          [confusion_image, summary_markdown, numbers_json, evaluated_view],
                                          api_name="evaluate", concurrency_limit=1, concurrency_id="evaluation",
                                          show_progress_on=[summary_markdown])
        evaluated.success(matrix_alt_text, evaluated_view, confusion_image, api_visibility="private", queue=False,
                          show_progress="hidden")
        evaluated.success(mistake_classes, evaluated_view, [true_dropdown, predicted_dropdown], queue=False,
                          api_visibility="private", show_progress="hidden").success(
            show_surest_mistakes, [model_radio, student_model], [true_dropdown, predicted_dropdown, *mistake_outputs],
            api_visibility="private")
        mistakes_button.click(show_mistakes, mistake_inputs, mistake_outputs, api_name="mistakes")
        surest_button.click(show_surest_mistakes, [model_radio, student_model],
                            [true_dropdown, predicted_dropdown, *mistake_outputs], api_visibility="private")
        confusion_image.select(pick_cell, evaluated_view, [true_dropdown, predicted_dropdown], api_visibility="private").success(
            show_mistakes, mistake_inputs, mistake_outputs, api_visibility="private")
        gr.on([true_dropdown.input, predicted_dropdown.input], show_mistakes, mistake_inputs, mistake_outputs,
              api_visibility="private")
        mistakes_gallery.select(select_photo, shown_photos, [chosen_photo, chosen_markdown], api_visibility="private")
        classify_sent(send_button.click(send_to_classify, [chosen_photo, model_radio], [*classify_inputs, tabs],
                                        api_visibility="private"))

        language_switch.redraw_on_switch(redraw_report, [evaluated_view], [confusion_image, summary_markdown])
        language_switch.redraw_on_switch(redraw_mistakes, [shown_photos, shown_listing],
                                         [mistakes_gallery, mistakes_markdown])
        language_switch.redraw_on_switch(redraw_chosen, [chosen_photo], [chosen_markdown])
        language_switch.redraw_on_switch(mistake_classes, [evaluated_view, true_dropdown, predicted_dropdown],
                                         [true_dropdown, predicted_dropdown])
