"""Your photos tab: a class names 2-10 classes and adds photos to each (webcam, several files, a zip of
class folders), then trains, classifies, looks inside and evaluates on them in the other tabs.

The photos are personal data (minors' faces, their rooms): they live in data/own_photos' memory for this
browser tab only. Gradio writes every upload and webcam capture to its upload folder before a handler
runs, so each file is deleted soon after it is read (server/uploads.py says why not at once); the sample grid is sent inline (data: URLs in the
page's HTML), never as a file another request could fetch.
"""

from __future__ import annotations

import base64
import html
import io

import gradio as gr
import PIL.Image

from flower_demo import config
from flower_demo.data import own_photos
from flower_demo.i18n import number, translate
from flower_demo.server import uploads
from flower_demo.server.priority import PRIORITY
from flower_demo.tabs import components, language_switch, ui

# Gradio shows its "Click to Access Webcam" button again once a capture is cleared: pressed for the
# student (the site has the camera's permission by then), so one click takes one photo.
RESTART_CAMERA_JS = """() => {
  let tries = 0;
  const press = () => {
    const start = document.querySelector('#own-webcam [title="grant webcam access"] button');
    if (start) start.click(); else if (++tries < 30) setTimeout(press, 100);
  };
  setTimeout(press, 50);
}"""
THUMBNAIL_SIDE = 96  # px: six a row on a projector's right column, three on a phone
THUMBNAILS_PER_CLASS = 6


def forget(request: gr.Request = None) -> None:
    """A closed tab's photos go at once (not an hour later with its state), and the files of them it was
    shown (Evaluate's mistakes)."""
    own_photos.OWN.forget(ui.session_key(request))
    ui.forget_own_pictures(request)


def _paths(files) -> list[str]:
    if not files:
        return []
    return [str(item) for item in (files if isinstance(files, (list, tuple)) else [files]) if item]


_MARKDOWN = str.maketrans({character: "\\" + character for character in "\\`*_[]|#~"})


def safe(name: str) -> str:
    """A student's class name as Markdown shows it: no HTML, no table or emphasis of its own."""
    return html.escape(name).translate(_MARKDOWN)


def summary_text(summary: dict, lang: str, result: dict | None = None) -> str:
    """The classes and their counts, what the last addition did, and the warnings, in `lang`."""
    lines = []
    if result is not None:
        added = ", ".join(f"**{safe(name)}** +{count}" for name, count in result["added"].items() if count)
        lines.append(translate("own_added", lang, count=result["added_total"], classes=added)
                     if result["added_total"] else translate("own_added_none", lang))
        if result["skipped_total"]:
            reasons = "; ".join(f"{translate(f'own_skip_{key}', lang)}: {count}"
                                for key, count in result["skipped"].items())
            lines.append(translate("own_skipped", lang, count=result["skipped_total"], reasons=reasons))
    if summary["classes"]:
        rows = [f"| {safe(entry['name'])} | {number(entry['photos'], 'd', lang)} |" for entry in summary["classes"]]
        lines.append("\n".join([f"| {translate('own_class_column', lang)} | {translate('own_photos_column', lang)} |",
                                "|---|---|", *rows]))
        lines.append(translate("own_total", lang, count=summary["photos"], classes=len(summary["classes"]),
                               megabytes=summary["bytes"] / 2**20))
    else:
        lines.append(translate("own_empty", lang))
    lines += ["⚠️ " + translate(key, lang, **{name: safe(value) if isinstance(value, str) else value
                                               for name, value in values.items()})
              for key, values in summary["warnings"]]
    return "\n\n".join(lines)


def _inline_jpeg(rgb) -> str:
    buffer = io.BytesIO()
    PIL.Image.fromarray(rgb).save(buffer, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def samples_html(photos: own_photos.OwnPhotos, lang: str) -> str:
    """Each class's newest photos as a grid, inline (no file on the server), each named for a screen reader."""
    parts = []
    for name, thumbnails in photos.thumbnails(THUMBNAILS_PER_CLASS, THUMBNAIL_SIDE).items():
        label = html.escape(name)
        pictures = "".join(f'<img src="{_inline_jpeg(rgb)}" alt="{html.escape(translate("own_sample_alt", lang, name=name, index=index))}" '
                           f'style="height:{THUMBNAIL_SIDE}px;width:auto;border-radius:4px">'
                           for index, rgb in enumerate(thumbnails, start=1))
        parts.append(f'<figure style="margin:0 0 12px 0"><figcaption style="font-weight:600">{label}</figcaption>'
                     f'<div style="display:flex;flex-wrap:wrap;gap:6px">{pictures}</div></figure>')
    return "".join(parts)


def _answer(photos: own_photos.OwnPhotos, lang: str, result: dict | None = None):
    summary = photos.summary()
    return summary_text(summary, lang, result), summary, samples_html(photos, lang)


def own_add(class_name: str, photos=None, request: gr.Request = None, progress=gr.Progress()):
    """Adds photos to a class of this session's own (made if new): several photo files, or one zip of
    class folders (then `class_name` may be empty: the folders name the classes).

    Returns (the summary in the page's language, the summary as data: counts per class and warnings).
    Every file sent is deleted from Gradio's upload folder once read, whatever the outcome.
    """
    lang = ui.language(request)
    paths = _paths(photos)
    try:
        if any(components.is_link(path) for path in paths):
            raise ui.error("error_link_input", lang)
        if not paths:
            raise ui.error("error_own_no_photos", lang)
        target = ui.own_photos_of(request, lang)
        progress(0.0, desc=translate("own_progress", lang, count=len(paths)))  # Gradio shows no text without a number
        try:
            zips = [path for path in paths if path.lower().endswith(".zip")]
            if zips:
                if len(paths) > 1:
                    raise ui.error("error_own_one_zip", lang)
                result = target.add_zip(zips[0], before_batch=PRIORITY.yield_to_requests)
            else:
                result = target.add(class_name or "", paths, before_batch=PRIORITY.yield_to_requests)
        except own_photos.OwnPhotosError as problem:
            raise ui.error(problem.key, lang, detail=problem.detail, **problem.values) from problem
    finally:
        uploads.UPLOADS.delete_later(path for path in paths if not components.is_link(path))
    text, summary, _ = _answer(target, lang, result.as_dict())
    return text, summary


def add_capture(class_name: str, capture, request: gr.Request = None):
    """One webcam photo into the class named above (the page then starts the camera again for the next)."""
    if not capture:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    lang = ui.language(request)
    text, summary = own_add(class_name, [capture], request, progress=lambda *_, **__: None)
    return text, summary, samples_html(ui.own_photos_of(request, lang), lang), None


def own_clear(request: gr.Request = None):
    """Empties this session's own photos. Returns (the summary, the summary as data)."""
    lang = ui.language(request)
    target = ui.own_photos_of(request, lang)
    target.clear()
    ui.forget_own_pictures(request)
    text, summary, _ = _answer(target, lang)
    return text, summary


def show_samples(request: gr.Request = None):
    lang = ui.language(request)
    try:
        return samples_html(ui.own_photos_of(request, lang), lang)
    except gr.Error:
        return ""


def redraw(summary, request: gr.Request = None):
    """The summary again in the page's language (the last addition's line is not kept)."""
    if not summary:
        return gr.skip(), gr.skip()
    lang = ui.language(request)
    try:
        photos = ui.own_photos_of(request, lang)
    except gr.Error:
        return gr.skip(), gr.skip()
    text, _, samples = _answer(photos, lang)
    return text, samples


def build(demo: gr.Blocks) -> None:
    with gr.Tab(ui.t("tab_own"), id="own"):
        gr.Markdown(ui.t("own_heading"))
        gr.Markdown(ui.t("own_privacy"), elem_id="own-privacy")
        with gr.Row():
            with gr.Column(scale=2, min_width=320):
                class_box = gr.Textbox(label=ui.t("own_class_name"), placeholder=ui.t("own_class_placeholder"),
                                       max_length=config.MAX_CLASS_NAME_CHARS, elem_id="own-class")
                # Files and their button first (on a projector, in sight with the summary); the camera adds
                # each photo by itself, so it can wait below.
                files = components.PhotoFilesInput(label=ui.t("own_files"), file_count="multiple",
                                                   file_types=["image", ".zip"], type="filepath",
                                                   elem_id="own-files")
                with gr.Row():
                    add_button = gr.Button(ui.t("own_add_button"), variant="primary")
                    clear_button = gr.Button(ui.t("own_clear_button"), variant="stop")
                # 640x480 asked of the camera: the photo is kept within 256 px anyway (Gradio's own default
                # asks 1920x1440, a PNG of megabytes a click).
                webcam = components.PhotoInput(sources=["webcam"], type="filepath", label=ui.t("own_webcam"),
                                               height=220, visible=config.webcam_enabled(), elem_id="own-webcam",
                                               webcam_options=gr.WebcamOptions(constraints={"video": {
                                                   "width": {"ideal": 640}, "height": {"ideal": 480}}}))
            with gr.Column(scale=3, min_width=320):
                summary_markdown = gr.Markdown(ui.t("own_empty"), elem_id="own-summary")
                samples = gr.HTML(elem_id="own-samples")
                with gr.Accordion(ui.t("evaluation_numbers"), open=False):
                    summary_json = gr.JSON()
        with gr.Accordion(ui.t("about_tab"), open=False):
            gr.Markdown(ui.t("own_intro"))

        added = add_button.click(own_add, [class_box, files], [summary_markdown, summary_json], api_name="own_add",
                                 concurrency_limit=2, concurrency_id="own_photos")
        added.then(lambda: None, None, files, api_visibility="private", queue=False)  # sent files are gone
        added.success(show_samples, None, samples, api_visibility="private", show_progress="hidden")
        captured = webcam.change(add_capture, [class_box, webcam], [summary_markdown, summary_json, samples, webcam],
                                 api_visibility="private", concurrency_limit=2, concurrency_id="own_photos")
        captured.then(None, None, None, js=RESTART_CAMERA_JS, api_visibility="private", queue=False)
        cleared = clear_button.click(own_clear, None, [summary_markdown, summary_json], api_name="own_clear")
        cleared.success(show_samples, None, samples, api_visibility="private", show_progress="hidden")
        language_switch.redraw_on_switch(redraw, [summary_json], [summary_markdown, samples])
        demo.unload(forget)
