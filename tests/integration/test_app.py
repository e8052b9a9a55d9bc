"""The web chat's handler without a browser: every kind of question gets a polite reply in the
visitor's language, and the interface's strings and examples are complete."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import app
from bot import Bot
from bot.script import shown

from conftest import ROOT

ZH = "香港科學園深圳分園進駐了多少家企業？"


@pytest.mark.parametrize("question, current, language", [
    (ZH, "en", "zh-Hant"),
    ("香港科学园深圳分园进驻了多少家企业？", "zh-Hant", "zh-Hans"),
    ("When did the Shenzhen branch open?", "zh-Hant", "en"),
    ("？？？", "zh-Hans", "zh-Hans"),
    ("😀😀", "en", "en"),
    ("", "zh-Hant", "zh-Hant"),
])
def test_interface_follows_the_questions_language(question, current, language):
    assert app.interface_language(question, current) == language


@pytest.mark.parametrize("header, language", [
    ("zh-HK,zh;q=0.9,en;q=0.8", "zh-Hant"), ("zh-CN,zh;q=0.9", "zh-Hans"), ("en-US,en;q=0.9", "en"),
    ("fr-FR, en;q=0.5", "en"), ("", "zh-Hant"), ("de", "zh-Hant"),
])
def test_first_language_follows_the_browser(header, language):
    assert app.browser_language(header) == language


def test_an_answer_is_rendered_with_its_citations(seed_bot):
    language, html = app.reply(seed_bot, ZH, 3, "hybrid", True, "en")
    assert language == "zh-Hant"
    assert '<p class="wenda-sentence">' in html and html.count("<details") == 3
    assert "BM25 排名" in html


@pytest.mark.parametrize("question, current, says", [
    ("", "zh-Hant", "請先輸入問題"),
    ("   ", "en", "Please type a question"),
    ("河" * 5000, "en", "問題太長了（5,000 字，上限 2,000 字）"),
    ("x " * 2600, "zh-Hant", "That question is too long (5,199 characters; the limit is 2,000)"),
    ("？？？！！！", "zh-Hant", "這個問題沒有文字"),
    ("😀🚀", "en", "That question has no words in it"),
])
def test_questions_that_cannot_be_asked_get_a_polite_reply(seed_bot, question, current, says):
    _, html = app.reply(seed_bot, question, None, None, False, current)
    assert says in html and "Traceback" not in html
    assert html.startswith('<div class="wenda-reply wenda-notice"')


@pytest.mark.parametrize("question", [
    "<script>alert(1)</script>香港科學園深圳分園進駐了多少家企業？",
    "Who is the 執行總監 of 港科大深港協同創新研究院?",
    "🚀 When did the Shenzhen branch open? 😀",
    "What is the capital of France?",
])
def test_odd_questions_get_an_answer_or_a_plain_abstention(seed_bot, question):
    language, html = app.reply(seed_bot, question, None, None, False, "zh-Hant")
    assert "wenda-sentence" in html or "wenda-abstain" in html
    assert "<script>" not in html


def test_a_failure_inside_the_bot_becomes_a_polite_reply(seed_bot, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(seed_bot, "ask", broken)
    _, html = app.reply(seed_bot, ZH, None, None, False, "zh-Hant")
    assert "抱歉" in html and "boom" not in html


def test_every_language_has_every_label_and_an_example_form():
    keys = set(app.UI["en"])
    assert all(set(words) == keys for words in app.UI.values())
    assert all(set(words["modes"]) >= set(app.SHOWN_MODES) for words in app.UI.values())
    assert set(app.EXAMPLE_FORMS) == set(app.LANGUAGES)


def test_the_examples_are_drawn_from_the_articles_headings_and_answered(seed_bot):
    examples = app.example_questions(seed_bot)
    headings = {part for p in seed_bot.index.passages for part in p.section.split(" › ")}
    for language in app.LANGUAGES:
        assert len(examples[language]) == app.EXAMPLE_COUNT
        for question in examples[language]:
            assert any(app.EXAMPLE_FORMS[language].format(topic=shown(h, language)) == question for h in headings)
            assert seed_bot.ask(question).found, question


def test_the_examples_come_from_any_corpus(tiny_corpus, tmp_path_factory):
    from bot.index import build_from_folder
    from bot.settings import Settings

    folder = tmp_path_factory.mktemp("tiny-index") / "index"
    build_from_folder(tiny_corpus, folder, Settings(), progress=False)
    bot = Bot.open(folder)
    examples = app.example_questions(bot)
    titles = [article.title for article in bot.index.articles.values()]
    assert examples["zh-Hant"], "a title of the tiny corpus makes an example"
    for language in app.LANGUAGES:
        for question in examples[language]:
            assert any(shown(title, language) in question for title in titles), question
            assert bot.ask(question).found
    rows = app.article_rows(bot)
    assert sorted(row["title"] for row in rows) == sorted(titles) and all(row["passages"] for row in rows)
    assert app.coverage_html(rows, "en").startswith('<details class="wenda-coverage"><summary>Wenda covers 3 article(s)')


@pytest.mark.parametrize("heading, topic", [
    ("香港科學園深圳分園", True), ("創科合作 深港雙向奔赴", False), ("熱評", False), ("Harbour ferry", True),
    ("p. 3", False), ("A headline that runs on for far too many words to name", False),
])
def test_a_topic_is_a_short_name_not_a_headline(heading, topic):
    assert app.is_topic(heading) is topic


def test_build_app_makes_a_blocks_with_the_named_api_endpoint(seed_bot):
    demo = app.build_app(seed_bot)
    assert "ask" in {fn.api_name for fn in demo.fns.values()}


def test_a_question_or_claim_utf8_cannot_encode_gets_an_answer_not_a_crash(seed_bot):
    _, html = app.reply(seed_bot, "\udcff" + ZH, None, None, False, "zh-Hant")
    assert "wenda-sentence" in html and "\udcff" not in html
    html, csv_path, md_path = app.fact_check(seed_bot, "\udcff香港科學園深圳分園已進駐40家香港企業。\n\ud800", "zh-Hant",
                                             app.Exports())
    assert "wenda-verdict-supported" in html and "\udcff" not in html
    assert "\udcff" not in Path(csv_path).read_text(encoding="utf-8-sig")


def _check_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("wenda-check-*"))


def test_checking_claims_does_not_leave_a_folder_a_check(seed_bot):
    before = _check_folders()
    claims = ["香港科學園深圳分園已進駐40家香港企業。", "香港科學園深圳分園於2023年9月開園。", "美联储今年已经三次加息。"]
    files = [app.fact_check(seed_bot, claim, "zh-Hant")[1:] for claim in claims]
    assert len(_check_folders() - before) <= 1
    for csv_path, md_path in files:  # each check's own files, still there for Gradio to copy
        assert Path(csv_path).is_file() and Path(md_path).is_file()
    assert len({Path(csv_path).parent for csv_path, _ in files}) == len(claims)
    assert "40家" in Path(files[0][0]).read_text(encoding="utf-8-sig")


def test_old_exports_are_removed_and_the_folder_goes_at_exit(seed_bot, tmp_path):
    exports = app.Exports(age_s=0)
    for claim in ("香港科學園深圳分園已進駐40家香港企業。", "香港科學園深圳分園於2023年9月開園。"):
        csv_path = app.fact_check(seed_bot, claim, "zh-Hant", exports)[1]
    assert [p.name for p in exports.folder.iterdir()] == [Path(csv_path).parent.name]
    run = subprocess.run([sys.executable, "-c", "import app; print(app.Exports().new())"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    made = Path(run.stdout.strip())
    assert made.parent.name.startswith("wenda-check-") and not made.parent.exists()


@pytest.mark.parametrize("question, language", [
    ("Who is the 執行總監 of 港科大深港協同創新研究院?", "zh-Hant"),
    ("Hong Kong Science Park深圳分园几时开园？", "zh-Hans"),  # 4 English words, 8 Chinese characters
    ("When did the 分園 open?", "en"),
])
def test_a_mostly_chinese_question_is_chinese(question, language):
    assert app.question_language(question) == language


def test_the_visitors_choice_of_language_sticks():
    assert app.interface_language("When did it open?", "zh-Hans", chosen=True) == "zh-Hans"
    assert app.interface_language("它何時開園？", "en", chosen=True) == "en"
    assert app.chosen_language(app.ENGLISH, "zh-Hans", "zh-Hant") == "en"
    assert app.chosen_language(app.CHINESE, "en", "zh-Hans") == "zh-Hans"  # Simplified comes back


def test_a_follow_up_is_answered_from_the_earlier_question_and_says_how_it_was_understood(seed_bot):
    _, alone = app.reply(seed_bot, "它何時開園？", None, None, False, "zh-Hant")
    assert "理解為" not in alone
    _, html = app.reply(seed_bot, "它何時開園？", None, None, False, "zh-Hant", [ZH])
    assert '<p class="wenda-understood">理解為：香港科學園深圳分園何時開園？</p>' in html
    assert '<mark class="wenda-answer"><strong>2023年9月</strong></mark>' in html


def test_the_reply_speaks_the_interface_language_even_for_a_question_in_another(seed_bot):
    _, html = app.reply(seed_bot, ZH, None, None, False, "en", chosen=True)
    assert "Sources" in html and "出處" not in html and 'lang="en"' in html


@pytest.mark.parametrize("question, says", [("  ", "請先輸入問題"), ("河" * 2001, "問題太長了（2,001 字")])
def test_a_blank_or_too_long_question_is_refused_before_it_is_asked(seed_bot, question, says):
    assert says in app.refusal(seed_bot, question, "zh-Hant")
    assert app.refusal(seed_bot, ZH, "zh-Hant") == ""
