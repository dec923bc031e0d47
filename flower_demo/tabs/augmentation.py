"""Augmentation tab: nine random versions of one photo, made by the very module training uses."""

from __future__ import annotations

import gradio as gr

from flower_demo import config, recipes
from flower_demo.data import augment
from flower_demo.look import plots
from flower_demo.recipes import Augmentation
from flower_demo.i18n import number, percent, translate
from flower_demo.server.warm_up import WARM_UP
from flower_demo.tabs import components, inputs, language_switch, ui

MAX_FACTOR = 0.5  # beyond half a turn or half the side, a photo stops looking like a flower


def _alt_text(settings: Augmentation, seed: int, shares: list[float] | None, lang: str) -> str:
    """What the nine show, for a screen reader: the random changes, the seed and the CutMix boxes."""
    changes = []
    if settings.flip:
        changes.append(translate("augment_alt_flip", lang))
    if settings.rotation:
        changes.append(translate("augment_alt_rotation", lang, value=number(settings.rotation, ".2g", lang)))
    if settings.zoom:
        changes.append(translate("augment_alt_zoom", lang, value=percent(settings.zoom, lang, 0)))
    if settings.contrast:
        changes.append(translate("augment_alt_contrast", lang, value=number(settings.contrast, ".2g", lang)))
    text = translate("augment_alt", lang, seed=seed,
                     changes="; ".join(changes) or translate("augment_alt_unchanged", lang))
    if shares is not None:
        boxes = [translate("augment_alt_box", lang, position=index, share=percent(share, lang, 0))
                 for index, share in enumerate(shares, start=1) if share]
        text += (translate("augment_alt_cutmix", lang, count=len(boxes), boxes="; ".join(boxes)) if boxes
                 else translate("augment_alt_cutmix_none", lang))
    return text


def _augmented(image, flip, rotation, zoom, contrast, seed, cutmix, second_image, lang: str, progress):
    """(the nine in one picture, its alt text), or a translated gr.Error."""
    rgb = inputs.read_image(image, lang)
    share = ui.clamp_float(cutmix, 0.0, 1.0, 0.0)
    second = inputs.read_image(second_image or inputs.SECOND_PHOTO, lang) if share else None
    ui.wait_for_warm_up(lang, progress)
    factors = [ui.clamp_float(value, 0.0, MAX_FACTOR, 0.0) for value in (rotation, zoom, contrast)]
    settings = Augmentation(bool(flip), *factors)
    seed = ui.clamp_int(seed, 0, 2**31 - 1, 0)
    if second is None:
        grid = augment.tile(augment.augment_grid(rgb, settings, config.TUTORIAL_IMAGE_SIZE, seed))
        return grid, _alt_text(settings, seed, None, lang)
    pictures, shares = augment.cut_mix_grid(rgb, second, settings, config.TUTORIAL_IMAGE_SIZE, seed, share)
    grid = augment.tile([plots.corner_label(picture, translate("cutmix_share", lang, share=round(100 * part)), size=15)
                         if part else picture for picture, part in zip(pictures, shares)])
    return grid, _alt_text(settings, seed, shares, lang)


@ui.light
def augment_image(image, flip: bool = True, rotation: float = 0.1, zoom: float = 0.1, contrast: float = 0.0,
                  seed: int = 0, cutmix: float = 0.0, second_image=None, request: gr.Request = None,
                  progress=gr.Progress()):
    """Nine augmented versions of `image` at the tutorial's 180 px in a 3x3 grid, deterministic for a seed.

    With `cutmix` > 0, that share of them get a box of `second_image` (a present when none is given)
    pasted in, as training does, each marked with the share of its label the second photo takes.
    """
    return _augmented(image, flip, rotation, zoom, contrast, seed, cutmix, second_image, ui.language(request),
                      progress)[0]


@ui.light
def augment_page(image, flip, rotation, zoom, contrast, seed, cutmix, second_image, request: gr.Request = None,
                 progress=gr.Progress()):
    """`augment_image` for the page: the nine with their alt text (an update API clients need not see), and
    a note that they are shown."""
    grid, alt_text = _augmented(image, flip, rotation, zoom, contrast, seed, cutmix, second_image,
                                ui.language(request), progress)
    return gr.Image(value=grid, alt_text=alt_text), True


def redraw(shown, *values, request: gr.Request = None):
    """The nine again in the page's new language (their CutMix labels and alt text); quick, never waits."""
    if not shown or not WARM_UP.ready():
        return gr.skip()
    try:
        return augment_page(*values, request=request, progress=None)[0]
    except gr.Error:
        return gr.skip()


def new_seed() -> int:
    """Another nine: a fresh random seed (shown, so the same nine can be had again by typing it)."""
    import random

    return random.randrange(2**31 - 1)


def load_preset(preset: str):
    """The augmentation settings a training preset uses, into the sliders."""
    chosen = recipes.PRESETS.get(preset, recipes.PRESETS[recipes.DEFAULT_PRESET])
    settings = chosen.augmentation
    return settings.flip, settings.rotation, settings.zoom, settings.contrast, chosen.cutmix


def build() -> None:
    with gr.Tab(ui.t("tab_augment"), id="augmentation") as tab:
        gr.Markdown(ui.t("augment_heading"))
        # The button and the random changes on the left, the nine on the right: at 1366x768 both are in
        # sight together. The photo, a preset's settings and CutMix, changed less often, below.
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                augment_button = gr.Button(ui.t("augment_button"), variant="primary")
                ui.active_when_warm(augment_button, ui.t("augment_button"), ui.t("augment_button_loading"))
                with gr.Row(equal_height=True):
                    flip_checkbox = gr.Checkbox(True, label=ui.t("flip"), min_width=140)
                    seed_number = components.Number(0, precision=0, minimum=0, label=ui.t("seed"), min_width=140)
                rotation_slider = components.Slider(0, MAX_FACTOR, value=0.1, step=0.01, label=ui.t("rotation"))
                zoom_slider = components.Slider(0, MAX_FACTOR, value=0.1, step=0.01, label=ui.t("zoom"))
                contrast_slider = components.Slider(0, MAX_FACTOR, value=0.0, step=0.01, label=ui.t("contrast"))
            with gr.Column(scale=3, min_width=320):
                # One JPEG of the nine photos: ~3 ms to encode and one file to fetch, where nine PNGs in a
                # gallery took ~120 ms to encode and nine requests (~9 ms of server CPU each) per click.
                # No label chip nor toolbar: they covered the first and third photos' corners. No fixed
                # height: the 548 px picture, whole, beside the controls on a 1366x768 screen, and on a
                # phone as wide as the screen without empty bands above and below.
                augmented_grid = components.PictureOutput(label=ui.t("augmented_grid"), show_label=False,
                                                          format="jpeg", interactive=False, buttons=[],
                                                          elem_id="augmented")
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                input_image = inputs.image_input(value=inputs.SAMPLE_PHOTO, height=260)
                dataset_photo_event = inputs.dataset_photo_button(input_image)
                own_photo_event = inputs.own_photo_button(input_image)
            with gr.Column(scale=3, min_width=320):
                # A training preset's settings into the sliders (and CutMix's).
                preset_dropdown = components.Dropdown(ui.choices(recipes.PRESETS, "preset_"), value="seed_augmented",
                                                      label=ui.t("augment_preset"))
                with gr.Accordion(ui.t("cutmix_title"), open=False):
                    gr.Markdown(ui.t("cutmix_intro"))
                    cutmix_slider = components.Slider(0, 1, value=0.0, step=0.05, label=ui.t("cutmix"))
                    second_image = inputs.image_input("cutmix_second_photo", value=inputs.SECOND_PHOTO, height=160)
                    second_photo_event = inputs.dataset_photo_button(second_image)
        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("augment_intro"))
        shown = gr.State(False, time_to_live=3600)  # whether the nine are shown: redrawn in another language
        augment_inputs = [input_image, flip_checkbox, rotation_slider, zoom_slider, contrast_slider, seed_number,
                          cutmix_slider, second_image]
        page_outputs = [augmented_grid, shown]
        # Like the Kernels tab, every control re-draws at once, with the same seed (the same random draws,
        # so a slider's effect is what changes); the button draws nine new ones (a new seed).
        gr.on([], augment_image, augment_inputs, augmented_grid, api_name="augment")  # the API, as ever
        another = augment_button.click(new_seed, None, seed_number, api_visibility="private", queue=False)
        another.success(augment_page, augment_inputs, page_outputs, api_visibility="private", show_progress="hidden")
        preset_loaded = preset_dropdown.change(load_preset, preset_dropdown,
                                               [flip_checkbox, rotation_slider, zoom_slider, contrast_slider,
                                                cutmix_slider], api_visibility="private")
        # A slider redraws as it moves, by mouse or by keys (`.input`: `.release` missed the arrow keys).
        redraws = [tab.select, input_image.upload, flip_checkbox.input, rotation_slider.input, zoom_slider.input,
                   contrast_slider.input, seed_number.submit, seed_number.blur, cutmix_slider.input,
                   second_image.upload]
        gr.on(redraws, augment_page, augment_inputs, page_outputs, api_visibility="private",
              show_progress="hidden", trigger_mode="always_last")
        for event in (preset_loaded, dataset_photo_event, own_photo_event, second_photo_event):
            event.success(augment_page, augment_inputs, page_outputs, api_visibility="private",
                          show_progress="hidden")
        language_switch.redraw_on_switch(redraw, [shown, *augment_inputs], [augmented_grid])
