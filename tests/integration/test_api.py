"""The JSON endpoint ``POST /api/ask`` and the Gradio endpoint ``/ask``, served by the web app's process:
answers, bad input, and twenty clients at once."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from urllib.parse import urlsplit

import httpx
import pytest

from bot.api import MAX_BODY


ZH = "香港科學園深圳分園進駐了多少家企業？"
QUESTIONS = [ZH, "港科大深港協同創新研究院的執行總監是誰？", "香港科学园深圳分园何时开园？",
             "When did the Shenzhen branch of the Hong Kong Science Park open?"]


def without_latency(out: dict) -> dict:
    return {key: value for key, value in out.items() if key != "latency_ms"}


def ask(url: str, body, **kwargs) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json=body, timeout=60, **kwargs)


def test_ask_returns_the_clis_json_object(web_url, seed_bot, seed_text):
    response = ask(web_url, {"question": ZH, "k": 3, "mode": "hybrid"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    out = response.json()
    assert without_latency(out) == without_latency(seed_bot.ask_json(ZH, 3, "hybrid"))
    assert out["found"] and out["language"] == "zh-Hant" and len(out["passages"]) == 3
    assert "".join(seed_text[s:e] for s, e in out["answer"]["text_spans"]) == out["answer"]["text"]


def test_k_and_mode_default_to_the_index_settings(web_url, seed_bot):
    out = ask(web_url, {"question": ZH}).json()
    assert len(out["passages"]) == seed_bot.settings.k
    assert without_latency(out) == without_latency(seed_bot.ask_json(ZH))


@pytest.mark.parametrize("body, says", [
    ({"question": ""}, "empty"),
    ({"question": "   \n "}, "empty"),
    ({"question": "河" * 5000}, "5,000 characters"),
    ({"question": ZH, "mode": "psychic"}, "unknown mode"),
    ({"question": ZH, "k": 1000}, "k must be"),
    ({"k": 3}, "question: Field required"),
    ({"question": ["a", "list"]}, "question"),
    ([ZH], "JSON object"),
])
def test_requests_that_cannot_be_answered_get_400_and_a_reason(web_url, body, says):
    response = ask(web_url, body)
    assert response.status_code == 400
    assert says in response.json()["error"]


def test_a_body_that_is_not_json_gets_400(web_url):
    response = httpx.post(f"{web_url}/api/ask", content=b"question=hello", timeout=30,
                          headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "JSON object" in response.json()["error"]


@pytest.mark.parametrize("question", [
    "<script>alert('x')</script>香港科學園深圳分園進駐了多少家企業？",
    "🚀🤖 香港科學園 opened when? 😀",
    "Who is the 執行總監 of 港科大深港協同創新研究院?",
    "？？？！！！……",
    "😀😀😀",
])
def test_odd_questions_get_an_answer_or_an_abstention(web_url, question):
    response = ask(web_url, {"question": question})
    assert response.status_code == 200
    out = response.json()
    assert out["question"] == question.strip()
    assert out["found"] or out["message"]


def test_the_server_keeps_serving_after_bad_input(web_url):
    for body in ({"question": ""}, {"question": "x" * 5000}, {"nonsense": True}):
        ask(web_url, body)
    assert ask(web_url, {"question": ZH}).json()["found"]


def test_gradio_endpoint_answers_through_gradio_client(web_url, seed_bot):
    from gradio_client import Client

    client = Client(web_url, verbose=False)
    try:
        out = client.predict(ZH, 3, "bm25", api_name="/ask")
        assert without_latency(out) == without_latency(seed_bot.ask_json(ZH, 3, "bm25"))
        with pytest.raises(Exception, match="empty"):
            client.predict("", api_name="/ask")
    finally:
        client.close()


@pytest.fixture(scope="module")
def expected(seed_bot) -> dict[str, dict]:
    """Each question's answer asked alone, to compare the concurrent ones with."""
    return {q: without_latency(seed_bot.ask_json(q)) for q in QUESTIONS}


def test_twenty_clients_at_once_through_the_json_api(web_url, expected):
    start = threading.Barrier(20)

    def client(i: int) -> tuple[str, int, dict]:
        question = QUESTIONS[i % len(QUESTIONS)]
        with httpx.Client(timeout=60) as connection:
            start.wait()
            response = connection.post(f"{web_url}/api/ask", json={"question": question})
        return question, response.status_code, response.json()

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(client, range(20)))
    assert len(results) == 20
    for question, status, out in results:
        assert status == 200
        assert without_latency(out) == expected[question]


def test_twenty_gradio_clients_at_once(web_url, expected):
    from gradio_client import Client

    start = threading.Barrier(20)

    def client(i: int) -> tuple[str, dict]:
        question = QUESTIONS[i % len(QUESTIONS)]
        connection = Client(web_url, verbose=False)
        try:
            start.wait()
            return question, connection.predict(question, api_name="/ask")
        finally:
            connection.close()

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(client, range(20)))
    assert len(results) == 20
    for question, out in results:
        assert without_latency(out) == expected[question]


CLAIM = "香港科學園深圳分園已進駐60家香港企業和機構。"


def test_check_returns_the_clis_json_object(web_url, seed_bot, seed_text):
    """``POST /api/check`` gives ``python -m bot check --json``'s object: here a contradicted number."""
    from bot.factcheck import check_json

    response = httpx.post(f"{web_url}/api/check", json={"claim": CLAIM}, timeout=60)
    assert response.status_code == 200
    out = response.json()
    assert out == check_json(seed_bot, CLAIM)
    assert out["verdict"] == "contradicted"
    assert {"kind": "number", "claim": "60家", "article": "40家"}.items() <= out["mismatches"][0].items()
    evidence = out["evidence"][0]
    assert seed_text[evidence["start"] : evidence["end"]] == evidence["text"]


@pytest.mark.parametrize("body", [{"claim": ""}, {"question": CLAIM}, {"claim": "x" * 10_000}])
def test_check_requests_that_cannot_be_checked_get_400(web_url, body):
    response = httpx.post(f"{web_url}/api/check", json=body, timeout=60)
    assert response.status_code == 400
    assert response.json()["error"]


def test_gradio_check_endpoint(web_url):
    from gradio_client import Client

    result = Client(web_url, verbose=False).predict(CLAIM, api_name="/check")
    assert result["verdict"] == "contradicted"


# --- bad input: what cannot be encoded, k, body size, error shape, abandoned requests --------------

K_RULE = "k must be an integer between 1 and 100"


def post_raw(url: str, path: str, body: bytes, content_type: str = "application/json") -> httpx.Response:
    """A POST of exactly these bytes (httpx's json= cannot send a lone surrogate)."""
    return httpx.post(f"{url}{path}", content=body, headers={"content-type": content_type}, timeout=60)


@pytest.mark.parametrize("path, field, text", [("/api/ask", "question", ZH), ("/api/check", "claim", CLAIM)])
def test_lone_surrogates_are_dropped_not_a_500(web_url, seed_bot, capfd, path, field, text):
    """``"\\udcff"`` is valid JSON for a string UTF-8 cannot encode: it is dropped, then the usual checks apply."""
    alone = post_raw(web_url, path, json.dumps({field: "\udcff"}).encode())
    assert alone.status_code == 400 and "empty" in alone.json()["error"]
    mixed = post_raw(web_url, path, json.dumps({field: "\udcff" + text + "\ud800"}).encode())
    assert mixed.status_code == 200
    assert mixed.json()[field] == text
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("path, body", [("/api/ask", {"question": ZH}), ("/api/check", {"claim": CLAIM})])
@pytest.mark.parametrize("k", [True, False, 1.5, 3.0, "3", 0, 101, -1])
def test_k_must_be_an_integer_from_1_to_100_with_the_engines_message(web_url, seed_bot, path, body, k):
    response = httpx.post(f"{web_url}{path}", json={**body, "k": k}, timeout=60)
    assert response.status_code == 400
    assert response.json() == {"error": f"{K_RULE}, not {k!r}"}
    if not isinstance(k, bool) and isinstance(k, int):  # the engine says the same
        with pytest.raises(Exception, match=re.escape(response.json()["error"])):
            seed_bot.ask(ZH, k)


def _raw_http(url: str, request: bytes, *chunks: bytes) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of a hand-written HTTP/1.1 request, sent with ``chunks`` after it."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(request)
        for chunk in chunks:
            connection.sendall(chunk)
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        while len(body) < int(headers["content-length"]):
            body += connection.recv(65536)
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_a_body_declared_over_the_limit_is_refused_before_it_is_sent(web_url):
    host = urlsplit(web_url).netloc
    status, _, out = _raw_http(web_url, (f"POST /api/ask HTTP/1.1\r\nHost: {host}\r\n"
                                         "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n").encode())
    assert status == 413
    assert f"{MAX_BODY:,} bytes" in out["error"]


def test_a_chunked_body_is_counted_as_it_arrives(web_url):
    host = urlsplit(web_url).netloc
    piece = b"x" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    status, _, out = _raw_http(web_url, (f"POST /api/check HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json"
                                         "\r\nTransfer-Encoding: chunked\r\n\r\n").encode(),
                               *[chunk] * (MAX_BODY // len(piece) + 2))
    assert status == 413 and "bytes" in out["error"]


def test_a_long_body_is_413_and_one_under_the_limit_is_answered(web_url):
    over = ask(web_url, {"question": "河" * MAX_BODY})
    assert over.status_code == 413 and set(over.json()) == {"error"}
    under = ask(web_url, {"question": ZH, "padding": "x" * (MAX_BODY - 1000)})
    assert under.status_code == 200 and under.json()["found"]


@pytest.mark.parametrize("method, path, body, content_type, status", [
    ("POST", "/api/ask", b'{"question": "\xff\xfe"}', "application/json", 400),  # not UTF-8
    ("POST", "/api/ask", b'{"question": ', "application/json", 400),  # malformed JSON
    ("POST", "/api/check", json.dumps({"claim": CLAIM}).encode(), "text/plain", 400),  # wrong content type
    ("POST", "/api/nowhere", b"{}", "application/json", 404),
    ("GET", "/api/ask", b"", "application/json", 405),
    ("DELETE", "/api/check", b"", "application/json", 405),
])
def test_every_error_under_api_is_an_error_object(web_url, method, path, body, content_type, status):
    response = httpx.request(method, f"{web_url}{path}", content=body, headers={"content-type": content_type},
                             timeout=60)
    assert response.status_code == status
    out = response.json()
    assert set(out) == {"error"} and out["error"]
    if status == 405:
        assert response.headers["allow"] == "POST"


def test_the_schema_and_the_web_app_are_still_served(web_url):
    assert httpx.get(f"{web_url}/api/openapi.json", timeout=30).json()["paths"].keys() >= {"/api/ask", "/api/check"}
    assert httpx.get(f"{web_url}/api/docs", timeout=30).status_code == 200
    assert httpx.get(f"{web_url}/", timeout=30).status_code == 200


ABANDONED = 40


def test_requests_whose_client_went_away_are_not_answered(web_url, seed_bot, seed_text, monkeypatch):
    """Clients that give up while their request waits for the limiter cost nothing: the next one is answered
    at once (before, the server answered every abandoned request first, about 0.2 s each here)."""
    slow = "".join(seed_text.split())[:1990]  # the longest question allowed, of real text
    seed_bot.ask_json(slow)  # loads the dictionaries, once
    answered = []
    ask_json = seed_bot.ask_json

    def counting(question, *args):
        answered.append(question)
        return ask_json(question, *args)

    monkeypatch.setattr(seed_bot, "ask_json", counting)

    def give_up(_: int) -> None:
        with suppress(httpx.TimeoutException):
            httpx.post(f"{web_url}/api/ask", json={"question": slow}, timeout=0.05)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(give_up, range(ABANDONED)))
    started = time.perf_counter()
    response = ask(web_url, {"question": ZH})
    waited = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["found"]
    assert answered.count(slow) < ABANDONED // 2, answered.count(slow)
    assert waited < 3, f"the question waited {waited:.1f} s behind abandoned ones ({answered.count(slow)} answered)"


@pytest.mark.parametrize("api_name, args", [("/ask", ("",)), ("/ask", (ZH, 0)), ("/check", ("  ",))])
def test_a_mistake_through_gradio_client_logs_no_traceback(web_url, capfd, api_name, args):
    from gradio_client import Client

    client = Client(web_url, verbose=False)
    try:
        with pytest.raises(Exception, match="empty|k must be"):
            client.predict(*args, api_name=api_name)
    finally:
        client.close()
    assert "Traceback" not in capfd.readouterr().err


FOLLOW_UP = "它何時開園？"


def test_a_follow_up_with_history_is_answered_as_understood(web_url, seed_bot):
    out = ask(web_url, {"question": FOLLOW_UP, "history": [ZH]}).json()
    assert out["question"] == FOLLOW_UP and out["understood"] == "香港科學園深圳分園何時開園？"
    assert out["found"] and out["answer"]["text"] == "2023年9月"
    assert without_latency(out) == without_latency(seed_bot.followup_json(FOLLOW_UP, [ZH]))
    alone = ask(web_url, {"question": FOLLOW_UP}).json()
    assert alone["understood"] == FOLLOW_UP


@pytest.mark.parametrize("history", [["a", 3], "香港科學園", {"q": ZH}])
def test_a_history_that_is_not_a_list_of_questions_gets_400(web_url, history):
    response = ask(web_url, {"question": FOLLOW_UP, "history": history})
    assert response.status_code == 400 and "history" in response.json()["error"]


def test_gradio_endpoint_takes_the_history_too(web_url):
    from gradio_client import Client

    client = Client(web_url, verbose=False)
    try:
        out = client.predict(FOLLOW_UP, 5, "hybrid", [ZH], api_name="/ask")
        assert out["understood"] == "香港科學園深圳分園何時開園？" and out["answer"]["text"] == "2023年9月"
    finally:
        client.close()
