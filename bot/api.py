"""Plain JSON endpoints served beside the web app: ``POST /api/ask`` takes ``{"question", "k", "mode"}``
and returns the object ``python -m bot ask --json`` prints; a request that cannot be answered as asked
gets status 400 and ``{"error": "<what to change>"}``.

``create_api(bot)`` builds the FastAPI app; ``app.py`` mounts the Gradio interface on it, so one
process serves both. Add another endpoint as another route in ``create_api``.
"""

from __future__ import annotations

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .engine import Bot
from .errors import QueryError, WendaError
from .factcheck import check_json

# Questions answered at once by each interface (this API, and the web app's queue); the rest wait
# their turn. Answering is CPU-bound (tokenising, encoding, scoring), so more than a few at a time
# on a small machine only makes each one slower.
CONCURRENCY = 4


class AskRequest(BaseModel):
    """The body of ``POST /api/ask``; ``k`` and ``mode`` default to the index's settings."""

    question: str
    k: int | None = None
    mode: str | None = None


class CheckRequest(BaseModel):
    """The body of ``POST /api/check``; ``k`` (passages searched) defaults to 8, ``mode`` to the index's."""

    claim: str
    k: int | None = None
    mode: str | None = None


def create_api(bot: Bot, concurrency: int = CONCURRENCY) -> FastAPI:
    """The JSON API over ``bot`` (its OpenAPI page is at ``/api/docs``)."""
    api = FastAPI(title="Wenda", description="Cited extractive answers from news articles.",
                  docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    limiter = anyio.CapacityLimiter(concurrency)

    @api.post("/api/ask")
    async def ask(request: AskRequest) -> JSONResponse:
        """Answer one question with its cited passages."""
        try:
            answer = await anyio.to_thread.run_sync(bot.ask_json, request.question, request.k, request.mode,
                                                    limiter=limiter)
        except QueryError as error:
            return error_response(400, str(error))
        except WendaError as error:  # e.g. the index became unreadable: the server's fault, said plainly
            return error_response(500, str(error))
        return JSONResponse(answer)

    @api.post("/api/check")
    async def check(request: CheckRequest) -> JSONResponse:
        """Check one claim against the articles: supported, contradicted (with the facts that differ) or
        not found, with the quoted sentence and its offsets."""
        try:
            result = await anyio.to_thread.run_sync(check_json, bot, request.claim, request.k, request.mode,
                                                    limiter=limiter)
        except QueryError as error:
            return error_response(400, str(error))
        except WendaError as error:
            return error_response(500, str(error))
        return JSONResponse(result)

    api.add_exception_handler(RequestValidationError, _invalid_request)
    return api


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    """A malformed body as one readable sentence instead of FastAPI's list of validation records."""
    problems = "; ".join(
        f"{'.'.join(str(part) for part in e.get('loc', ())[1:]) or 'body'}: {e.get('msg', 'invalid')}"
        for e in error.errors()
    )
    example = ('{"claim": "香港科學園深圳分園已進駐40家香港企業", "k": 8}' if request.url.path == "/api/check"
               else '{"question": "河套合作區在哪裏？", "k": 5, "mode": "hybrid"}')
    return error_response(400, f"send a JSON object like {example} ({problems})")
