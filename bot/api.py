"""Plain JSON endpoints served beside the web app: ``POST /api/ask`` takes ``{"question", "k", "mode", "history"}``
and returns the object ``python -m bot ask --json`` prints; a request that cannot be answered as asked
gets status 400 and ``{"error": "<what to change>"}``, a body over MAX_BODY bytes 413, and every other
error under ``/api/`` (404, 405, 500) the same ``{"error": …}`` shape.

``create_api(bot)`` builds the FastAPI app; ``app.py`` mounts the Gradio interface on it, so one
process serves both. Add another endpoint as another route in ``create_api``.
"""

from __future__ import annotations

from typing import Callable

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, StrictInt, StrictStr
from starlette.datastructures import Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .engine import Bot, k_error
from .errors import CorpusError, QueryError, WendaError
from .factcheck import check_json
from .library import MAX_UPLOAD_BYTES, Library, UnknownArticle, UploadTooLarge, too_large

# Questions answered at once by each interface (this API, and the web app's queue); the rest wait
# their turn. Answering is CPU-bound (tokenising, encoding, scoring), so more than a few at a time
# on a small machine only makes each one slower.
CONCURRENCY = 4
MAX_BODY = 1_000_000  # bytes of a request body under /api/: a question or a claim is a few kilobytes at most
GONE = 499  # the status (nginx's "client closed request") of work skipped because its client went away
ARTICLES = "/api/articles"
FORM_BYTES = 64_000  # what a multipart body holds besides the file (boundaries, headers, the file's name)
CLOSED = ("adding and removing articles is turned off: the server was started without WENDA_ADMIN_TOKEN; "
          "start it with WENDA_ADMIN_TOKEN=… to turn it on")
WRONG_TOKEN = "a missing or wrong admin token: send the server's WENDA_ADMIN_TOKEN as Authorization: Bearer …"


class AskRequest(BaseModel):
    """The body of ``POST /api/ask``; ``k`` and ``mode`` default to the index's settings; ``history`` holds the
    conversation's earlier questions, oldest first, for a follow-up question ("它何時開園？")."""

    question: StrictStr
    k: StrictInt | None = None
    mode: StrictStr | None = None
    history: list[StrictStr] | None = None


class CheckRequest(BaseModel):
    """The body of ``POST /api/check``; ``k`` (passages searched) defaults to 8, ``mode`` to the index's."""

    claim: StrictStr
    k: StrictInt | None = None
    mode: StrictStr | None = None


def create_api(bot: Bot, concurrency: int = CONCURRENCY, max_body: int = MAX_BODY,
               library: Library | None = None) -> FastAPI:
    """The JSON API over ``bot`` (its OpenAPI page is at ``/api/docs``); the articles endpoints change
    ``library`` (none: they are closed)."""
    api = FastAPI(title="Wenda", description="Cited extractive answers from news articles.",
                  docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    limiter = anyio.CapacityLimiter(concurrency)

    async def answer(request: Request, work: Callable[[], dict]) -> JSONResponse:
        """``work()`` in a worker thread once one of ``concurrency`` places is free, skipped when the client went
        away while it waited: answering is CPU-bound, and answers nobody reads would delay everyone after."""
        async with limiter:
            if await request.is_disconnected():
                return error_response(GONE, "the client went away before its turn")
            try:
                return JSONResponse(await anyio.to_thread.run_sync(work))
            except QueryError as error:
                return error_response(400, str(error))
            except WendaError as error:  # e.g. the index became unreadable: the server's fault, said plainly
                return error_response(500, str(error))

    @api.post("/api/ask")
    async def ask(body: AskRequest, request: Request) -> JSONResponse:
        """Answer one question with its cited passages; with ``history``, as a follow-up of those questions."""
        if body.history:
            return await answer(request, lambda: bot.followup_json(body.question, body.history, body.k, body.mode))
        return await answer(request, lambda: bot.ask_json(body.question, body.k, body.mode))

    @api.post("/api/check")
    async def check(body: CheckRequest, request: Request) -> JSONResponse:
        """Check one claim against the articles: supported, contradicted (with the facts that differ) or
        not found, with the quoted sentence and its offsets."""
        return await answer(request, lambda: check_json(bot, body.claim, body.k, body.mode))

    def refused(request: Request) -> JSONResponse | None:
        """403 for a request to the articles endpoints without the admin token (or with them closed)."""
        if library is None:
            return error_response(403, CLOSED)
        return None if library.allows(_bearer(request)) else error_response(403, WRONG_TOKEN)

    async def admin(request: Request, work: Callable[[Library], dict], status: int = 200) -> JSONResponse:
        """``work(library)`` in a worker thread for a request carrying the admin token, else 403; a file that
        cannot be an article is 400 (413 when too large), an unknown document 404."""
        if (refusal := refused(request)) is not None:
            return refusal
        try:
            return JSONResponse(await anyio.to_thread.run_sync(work, library), status_code=status)
        except UploadTooLarge as error:
            return error_response(413, str(error))
        except UnknownArticle as error:
            return error_response(404, str(error))
        except CorpusError as error:
            return error_response(400, str(error))
        except WendaError as error:  # the index could not be changed: nothing was, said plainly
            return error_response(500, str(error))

    @api.get(ARTICLES)
    async def list_articles(request: Request) -> JSONResponse:
        """The articles: doc_id, title, source, date, passages and file (under corpus/) of each. Needs the
        admin token."""
        return await admin(request, lambda lib: {"articles": [row.as_dict() for row in lib.rows()]})

    @api.post(ARTICLES, status_code=201)
    async def add_article(request: Request) -> JSONResponse:
        """Add an article file (multipart field ``file``: .txt, .md, .html, .pdf, .docx, a feed, .jsonl; at
        most 20 MB) to corpus/uploads/ and the index; answers with the articles added. Needs the admin token."""
        if (refusal := refused(request)) is not None:  # before parsing the body
            return refusal
        try:
            form = await request.form(max_files=1, max_fields=4)
        except MultiPartException as error:
            return error_response(400, f"{error.message}; {UPLOAD_HINT}")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return error_response(400, f"no file in the request; {UPLOAD_HINT}")
        data = await upload.read()
        if len(data) > MAX_UPLOAD_BYTES:
            return error_response(413, str(too_large(len(data))))
        return await admin(request, lambda lib: lib.add(upload.filename or "", data), status=201)

    @api.delete(f"{ARTICLES}/{{doc_id:path}}")
    async def remove_article(doc_id: str, request: Request) -> JSONResponse:
        """Remove the file holding the article ``doc_id`` (with every article it holds) from corpus/ and the
        index. Needs the admin token."""
        return await admin(request, lambda lib: lib.remove(doc_id))

    @api.api_route("/api/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                   include_in_schema=False)
    async def elsewhere(request: Request) -> JSONResponse:
        """404 under /api/ for a path that is not an endpoint, 405 for one asked with another method (without
        this route the web app mounted at / would answer in its own words)."""
        path = request.url.path
        allowed = sorted({method for route in api.routes if isinstance(route, APIRoute)
                          and route.path != "/api/{path:path}" and route.path_regex.match(path)
                          for method in route.methods or ()})
        if allowed:
            return JSONResponse({"error": f"use {' or '.join(allowed)} for {path}"}, status_code=405,
                                headers={"Allow": ", ".join(allowed)})
        return error_response(404, f"no endpoint {path}; use POST /api/ask, POST /api/check or {ARTICLES} "
                                   "(schema: /api/docs)")

    api.add_exception_handler(RequestValidationError, _invalid_request)
    api.add_exception_handler(HTTPException, _http_error)
    api.add_middleware(BodyLimit, limit=max_body)
    return api


UPLOAD_HINT = (f"send the file as the multipart field \"file\", e.g. curl -H 'Authorization: Bearer …' "
               f"-F file=@release.pdf http://127.0.0.1:7860{ARTICLES}")


def _bearer(request: Request) -> str:
    """The token of an ``Authorization: Bearer …`` header ("" without one)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class BodyLimit:
    """ASGI middleware refusing a request body under /api/ over ``limit`` bytes (an article upload: over
    MAX_UPLOAD_BYTES and its form) with 413: by its Content-Length before reading any of it, and by counting
    a chunked body as it arrives (the body read is then handed on)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        upload = scope["path"] == ARTICLES and scope["method"] == "POST"
        limit = MAX_UPLOAD_BYTES + FORM_BYTES if upload else self.limit
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, upload, int(declared))
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away while sending
                return
            body += message.get("body", b"")
            if len(body) > limit:
                await self._refuse(scope, receive, send, upload, len(body))
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, upload: bool, size: int) -> None:
        message = str(too_large(size)) if upload else (f"the request body is over {self.limit:,} bytes; send one "
                                                       "question or claim (at most a few thousand characters) a request")
        await error_response(413, message)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` whole first, then what ``receive`` gives (a disconnect, later)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def error_response(status: int, message: str) -> JSONResponse:
    """The one shape of every error under /api/: ``{"error": "<what went wrong, and what to do>"}``."""
    return JSONResponse({"error": message}, status_code=status)


def _example(request: Request) -> str:
    if request.url.path == "/api/check":
        return '{"claim": "香港科學園深圳分園已進駐40家香港企業", "k": 8}'
    return '{"question": "河套合作區在哪裏？", "k": 5, "mode": "hybrid"}'


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    """FastAPI's own errors in the API's shape: 400 when it could not parse the body (e.g. not UTF-8)."""
    if error.status_code == 400:
        return error_response(400, f"the body is not JSON in UTF-8; send a JSON object like {_example(request)}")
    return JSONResponse({"error": str(error.detail)}, status_code=error.status_code, headers=error.headers)


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    """A malformed body as one readable sentence instead of FastAPI's list of validation records."""
    errors = error.errors()
    wrong_k = [e for e in errors if tuple(e.get("loc", ()))[1:] == ("k",)]
    if wrong_k and len(wrong_k) == len(errors):  # the message the CLI and the engine give
        return error_response(400, str(k_error(wrong_k[0].get("input"))))
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e.get('loc', ())[1:]) or 'body'}: {e.get('msg', 'invalid')}"
        for e in errors
    )
    return error_response(400, f"send a JSON object like {_example(request)} ({problems})")
