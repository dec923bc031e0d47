"""Grad-CAM, shared by the Classify and Inside tabs: where the network found evidence for a class."""

from __future__ import annotations

import gradio as gr
import numpy as np

from flower_demo import config
from flower_demo.data import images
from flower_demo.look import plots
from flower_demo.model import serving
from flower_demo.i18n import class_labels, translate
from flower_demo.tabs import components, language_switch
from flower_demo.tabs.inputs import read_image
from flower_demo.tabs.model_choice import chosen_model, model_line
from flower_demo.tabs.ui import clamp_float, error, finite_answer, language, light, t


# Where a heatmap is hottest, in thirds of the photo: (row, column) -> the key of its words.
_WHERE = (("top_left", "top", "top_right"), ("left", "centre", "right"), ("bottom_left", "bottom", "bottom_right"))


def hottest_part(heatmap: np.ndarray) -> str:
    """The third of the photo (top left ... centre ... bottom right) where the heatmap is strongest."""
    heatmap = np.nan_to_num(np.asarray(heatmap, dtype=np.float64))
    if heatmap.ndim != 2 or not heatmap.size:
        return "centre"
    row, column = np.unravel_index(int(heatmap.argmax()), heatmap.shape)
    third = lambda index, size: min(int(3 * (index + 0.5) / size), 2)  # noqa: E731
    return _WHERE[third(row, heatmap.shape[0])][third(column, heatmap.shape[1])]


@light
def show_saliency(image, model: str = "own", class_name: str = "predicted", opacity: float = 0.5,
                  student_model=None, request: gr.Request = None, progress=gr.Progress()):
    """Grad-CAM over the photo: where the model found evidence for its answer or for `class_name`.

    Returns (the overlay, with an alt text that says where the evidence is; the notes, whose last line
    names the model)."""
    from flower_demo.look import inside  # lazy: TensorFlow

    lang = language(request)
    rgb = read_image(image, lang)
    network, note = chosen_model(model, student_model, lang, progress)
    classes = serving.class_names(network)  # the flowers, or a class's own
    if class_name != "predicted" and class_name not in classes:
        raise error("error_setting", lang, detail=f"class {class_name!r}")
    target = None if class_name == "predicted" else classes.index(class_name)
    try:
        cam = inside.grad_cam(network, rgb, target)
    except inside.InspectError as problem:
        raise error(problem.key, lang, detail=problem.detail) from problem
    probabilities = finite_answer(cam.probabilities, lang)
    names = class_labels(classes, lang)
    answer = int(probabilities.argmax())
    text = translate("saliency_text", lang, answer=names[answer], confidence=100 * probabilities[answer],
                     target=names[cam.class_index], probability=100 * probabilities[cam.class_index],
                     height=cam.heatmap.shape[0], width=cam.heatmap.shape[1], layer=cam.layer)
    if inside.is_mirror_averaged(network):
        text += translate("saliency_mirror", lang)
    overlay = plots.saliency_overlay(images.fit_within(rgb, config.MAX_KERNEL_SIDE), cam.heatmap,
                                     clamp_float(opacity, 0.0, 1.0, 0.5))
    alt = translate("saliency_alt", lang, target=names[cam.class_index],
                    where=translate(f"saliency_where_{hottest_part(cam.heatmap)}", lang))
    # The fallback note ("you have not trained one yet: this is the shipped one") names the model itself.
    return (gr.Image(value=overlay, alt_text=alt),
            "\n\n".join(part for part in (text, note or model_line(network, model == "shipped", lang)) if part))


def cleared():
    """No photo: no heatmap, no notes (a removed photo's old answer must not stay)."""
    return None, ""


def class_choices(model: str, student_model, chosen: str, request: gr.Request = None):
    """"Class to explain" for the chosen model's own classes (a class's own model has its own names),
    keeping the chosen class while the model has it."""
    lang = language(request)
    try:
        network, _ = chosen_model(model, student_model, lang)
    except gr.Error:  # a model freed meanwhile: its next use says so
        return gr.skip()
    classes = serving.class_names(network)
    choices = [(translate("saliency_predicted", lang), "predicted"), *zip(class_labels(classes, lang), classes)]
    return gr.update(choices=choices, value=chosen if chosen in classes else "predicted")


def redraw_class_choices(model: str, student_model, chosen: str, request: gr.Request = None):
    """The classes' words in the page's language after a switch (Gradio translates the flowers' own
    words itself until the session has a model)."""
    return gr.skip() if student_model is None else class_choices(model, student_model, chosen, request)


def build(input_image, model_choice, student_model):
    """Grad-CAM's controls and picture (class to explain, opacity); returns what to chain on:
    (the handler's inputs, its outputs, the controls' change events).

    Also wires what the panel does by itself, in whichever tab holds it: the photo's removal clears it,
    and a language switch draws a shown heatmap and its notes again (so a tab need not register them).
    """
    flowers = [(t("saliency_predicted"), "predicted")] + [(t(f"class_{name}"), name) for name in config.CLASS_NAMES]
    with gr.Row():
        class_dropdown = components.Dropdown(flowers, value="predicted", label=t("saliency_class"),
                                             min_width=200)
        opacity_slider = components.Slider(0, 1, value=0.5, step=0.05, label=t("saliency_opacity"), min_width=200)
    saliency_image = components.PictureOutput(label=t("saliency_image"), show_label=False, buttons=[], format="jpeg",
                                              interactive=False, height=360)  # nothing over the picture on a phone
    saliency_markdown = gr.Markdown()
    inputs = [input_image, model_choice, class_dropdown, opacity_slider, student_model]
    outputs = [saliency_image, saliency_markdown]
    input_image.clear(cleared, None, outputs, queue=False, api_visibility="private")

    def redraw(image, model, class_name, opacity, student, shown, request: gr.Request = None):
        if not image or shown is None:
            return gr.skip(), gr.skip()
        return show_saliency(image, model, class_name, opacity, student, request=request, progress=None)

    language_switch.redraw_on_switch(redraw, [*inputs, saliency_image], outputs)
    # Another model may have other classes: the choice follows it (before its heatmap is drawn again).
    gr.on([model_choice.change, student_model.change], class_choices, [model_choice, student_model, class_dropdown],
          class_dropdown, api_visibility="private", show_progress="hidden")
    language_switch.redraw_on_switch(redraw_class_choices, [model_choice, student_model, class_dropdown],
                                     [class_dropdown])
    # .input as well as .release: the keyboard's arrows move the slider without "releasing" it. (Chain
    # these with trigger_mode="always_last": a drag's last position is drawn, not only its first.)
    return inputs, outputs, [class_dropdown.change, opacity_slider.input, opacity_slider.release]
