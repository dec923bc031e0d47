"""The page's language from its first paint, and the server told of every change (issue 35).

Gradio's front end takes its locale once, from `navigator.language` (the browser's first language
only: a `ca-ES, es` browser got English labels beside Spanish results), and a later `changeLocale`
leaves its components' own texts ("Drop Image Here") in the old language. So a script put first in
the page's <head>, before Gradio starts, chooses the language by the app's rule (a `?lang=` link, else
the first of the browser's languages that is en, es or a language of Spain), hands it to Gradio as
`navigator.language`, and keeps `?lang=` in the page's address: Gradio sends the address's query with
every queued event, so every handler's `ui.language(request)` reads the page's language.

When the footer's settings change the language, Gradio sets <html lang>; the script then updates the
address and clicks the hidden language switch (flower_demo/tabs/language_switch.py), whose event
redraws what the server wrote in the old language.
"""

from __future__ import annotations

import json

from starlette.datastructures import MutableHeaders

from flower_demo.i18n import LANGUAGES, SPANISH_READERS

SWITCH_ID = "language-switch"

BOOT_JS = r"""
(() => {
  const SUPPORTED = %(supported)s, SPANISH_READERS = %(spanish)s;
  const pick = (tags) => {
    for (const tag of tags || []) {
      const code = String(tag || "").trim().toLowerCase().split("-")[0];
      if (code === "en") return "en";
      if (SPANISH_READERS.includes(code)) return "es";
    }
    return null;
  };
  const setAddress = (lang) => {
    const url = new URL(window.location.href);
    if (url.searchParams.get("lang") === lang) return;
    url.searchParams.set("lang", lang);
    history.replaceState(history.state, "", url);
  };
  const linked = new URLSearchParams(window.location.search).get("lang");
  let current = SUPPORTED.includes(linked) ? linked
    : pick(navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]) || "en";
  try { Object.defineProperty(navigator, "language", { get: () => current, configurable: true }); } catch (e) {}
  setAddress(current);

  const changeLocale = async (lang) => {  // Gradio's own, exported by its core module
    const core = performance.getEntriesByType("resource").map((entry) => entry.name)
      .find((name) => /\/assets\/core-[^/?]*\.js$/.test(name));
    if (core) (await import(core)).changeLocale(lang);
  };
  new MutationObserver(() => {
    const shown = document.documentElement.lang;
    const lang = pick([shown]) || "en";
    if (lang !== shown) { changeLocale(lang); return; }  // Català -> Español, Français -> English
    if (lang === current) return;
    current = lang;
    setAddress(lang);
    document.getElementById("%(switch_id)s")?.click();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });

  // What Gradio 6.31 leaves unnamed for a screen reader (axe-core: button-name, aria-prohibited-attr):
  // an example's thumbnail is a button around an <img alt="">, and an empty output is a <div> with
  // aria-label="Empty value" (English, and not allowed without a role). Named or hidden as they appear.
  const NAMES = %(names)s;
  let pending = false;
  const mend = () => {
    pending = false;
    const words = NAMES[current] || NAMES.en;
    document.querySelectorAll("div.empty[aria-label]:not([role])").forEach((empty) => {
      empty.removeAttribute("aria-label");
      empty.setAttribute("aria-hidden", "true");  // an icon standing for "nothing yet": nothing to say
    });
    document.querySelectorAll(".gallery-item, button.gallery-item").forEach((item) => {
      if (item.tagName !== "BUTTON" || item.textContent.trim()) return;
      const examples = item.closest("[data-testid=examples-table], .gallery, table") || item.parentElement;
      const position = Array.from(examples.querySelectorAll(".gallery-item")).indexOf(item) + 1;
      const label = `${words.example} ${position}`;
      if (item.getAttribute("aria-label") !== label) item.setAttribute("aria-label", label);
    });
    // The webcam's prompt is written into Gradio's page in English, not through its i18n keys.
    const prompts = Object.values(NAMES).map((names) => names.webcam);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.nodeValue.trim();
      if (text && text !== words.webcam && prompts.includes(text)) node.nodeValue = " " + words.webcam;
    }
  };
  new MutationObserver(() => {
    if (!pending) { pending = true; requestAnimationFrame(mend); }
  }).observe(document, { childList: true, subtree: true });
})();
"""

# The accessible names the boot script gives Gradio's unnamed parts, in each language.
NAMES = {"es": {"example": "Foto de ejemplo", "webcam": "Pulsa para usar la cámara"},
         "en": {"example": "Example photo", "webcam": "Click to Access Webcam"}}  # Gradio's own words


def boot_script() -> bytes:
    js = BOOT_JS % {"supported": json.dumps(list(LANGUAGES)), "spanish": json.dumps(list(SPANISH_READERS)),
                    "switch_id": SWITCH_ID, "names": json.dumps(NAMES, ensure_ascii=False)}
    return f"<script>{js}</script>".encode()


class BootScript:
    """ASGI middleware that puts the boot script first in the page's <head> (the page only, GET "/").

    Gradio's FastAPI app runs it inside its compression layer, so the page it sees is plain HTML.
    """

    def __init__(self, app, paths=("/",)):
        self.app, self.paths, self.tag = app, set(paths), boot_script()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        start, chunks = None, []

        async def patched(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message["headers"]))
                if headers.get("content-type", "").startswith("text/html") and "content-encoding" not in headers:
                    start = message  # held back: the body changes length
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = b"".join(chunks).replace(b"<head>", b"<head>" + self.tag, 1)
                headers = MutableHeaders(raw=list(start["headers"]))
                headers["content-length"] = str(len(page))
                await send({**start, "headers": headers.raw})
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, patched)
