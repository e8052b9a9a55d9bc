"""The JSON endpoint ``POST /api/ask`` and the Gradio endpoint ``/ask``, served by the web app's process:
answers, bad input, and twenty clients at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest


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
