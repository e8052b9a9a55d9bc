"""Plain JSON endpoints served beside the web app: ``POST /api/ask`` takes ``{"question", "k", "mode"}``
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
from pydantic import BaseModel, StrictInt, StrictStr
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .engine import Bot, k_error
from .errors import QueryError, WendaError
from .factcheck import check_json

# Questions answered at once by each interface (this API, and the web app's queue); the rest wait
# their turn. Answering is CPU-bound (tokenising, encoding, scoring), so more than a few at a time
# on a small machine only makes each one slower.
CONCURRENCY = 4
MAX_BODY = 1_000_000  # bytes of a request body under /api/: a question or a claim is a few kilobytes at most
GONE = 499  # the status (nginx's "client closed request") of work skipped because its client went away


class AskRequest(BaseModel):
    """The body of ``POST /api/ask``; ``k`` and ``mode`` default to the index's settings."""

    question: StrictStr
    k: StrictInt | None = None
    mode: StrictStr | None = None


class CheckRequest(BaseModel):
    """The body of ``POST /api/check``; ``k`` (passages searched) defaults to 8, ``mode`` to the index's."""

    claim: StrictStr
    k: StrictInt | None = None
    mode: StrictStr | None = None


def create_api(bot: Bot, concurrency: int = CONCURRENCY, max_body: int = MAX_BODY) -> FastAPI:
    """The JSON API over ``bot`` (its OpenAPI page is at ``/api/docs``)."""
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
        """Answer one question with its cited passages."""
        return await answer(request, lambda: bot.ask_json(body.question, body.k, body.mode))

    @api.post("/api/check")
    async def check(body: CheckRequest, request: Request) -> JSONResponse:
        """Check one claim against the articles: supported, contradicted (with the facts that differ) or
        not found, with the quoted sentence and its offsets."""
        return await answer(request, lambda: check_json(bot, body.claim, body.k, body.mode))

    @api.api_route("/api/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                   include_in_schema=False)
    async def elsewhere(request: Request) -> JSONResponse:
        """404 under /api/ for a path that is not an endpoint, 405 for one asked with another method (without
        this route the web app mounted at / would answer in its own words)."""
        path = request.url.path
        allowed = sorted({method for route in api.routes if getattr(route, "path", None) == path
                          for method in getattr(route, "methods", None) or ()})
        if allowed:
            return JSONResponse({"error": f"use {' or '.join(allowed)} for {path}"}, status_code=405,
                                headers={"Allow": ", ".join(allowed)})
        return error_response(404, f"no endpoint {path}; use POST /api/ask or POST /api/check (schema: /api/docs)")

    api.add_exception_handler(RequestValidationError, _invalid_request)
    api.add_exception_handler(HTTPException, _http_error)
    api.add_middleware(BodyLimit, limit=max_body)
    return api


class BodyLimit:
    """ASGI middleware refusing a request body under /api/ over ``limit`` bytes with 413: by its Content-Length
    before reading any of it, and by counting a chunked body as it arrives (the body read is then handed on)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away while sending
                return
            body += message.get("body", b"")
            if len(body) > self.limit:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"the request body is over {self.limit:,} bytes; send one question or "
                                       "claim (at most a few thousand characters) a request")
        await response(scope, receive, send)


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
