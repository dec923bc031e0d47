"""gradio_client Clients for a local app, configured so the client does not dominate what we measure.

Used by the tests and by the benchmarks (run from the project root, `python -m benchmarks.load`): here,
not in benchmarks/, so the tests depend on nothing in benchmarks/; never in flower_demo/, which must not
import gradio_client.

gradio_client 2.7 makes a new httpx client for every HTTP request it sends (three per `predict`), and
each one loads the CA bundle into a fresh SSL context: about 50 ms of CPU per request even for plain
http://127.0.0.1, so ~170 ms of client CPU per call, more than the app spends serving it (a profile
of 10 `/classify` calls: 1.48 s of 2.1 s in `ssl.create_default_context`). One SSL context made once
and handed over as `ssl_verify` (httpx takes a context there) removes that; `trust_env=False` skips
reading proxy settings from the environment on every request (a local app needs none).
"""

from __future__ import annotations

import ssl

from gradio_client import Client

_SSL_CONTEXT = ssl.create_default_context()


def local_client(url: str, language: str | None = None, **kwargs) -> Client:
    headers = {"Accept-Language": language} if language else None
    return Client(url, verbose=False, headers=headers, ssl_verify=_SSL_CONTEXT,
                  httpx_kwargs={"trust_env": False}, **kwargs)
