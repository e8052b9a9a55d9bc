"""The Gradio web app: a bilingual chat over ``python -m bot``'s index, with cited answers.

The interface only: answers come from ``bot`` and are turned into HTML by ``bot.render``; the plain
JSON endpoints are ``bot.api``'s, and ``create_server`` mounts this interface on them so one process
serves both. ``make run`` starts it on 127.0.0.1 (port from GRADIO_SERVER_PORT, index folder from
WENDA_INDEX).
"""

from __future__ import annotations

import atexit
import html
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import gradio as gr
import uvicorn

from bot import Bot, QueryError, WendaError, factcheck_render, render
from bot.api import CONCURRENCY, create_api
from bot.engine import encodable
from bot.factcheck import PASSAGES, check_json
from bot.formats import SUFFIXES
from bot.library import MAX_UPLOAD_BYTES, MB, Library, too_large
from bot.retrieve import Query
from bot.script import shown
from bot.settings import MODES
from bot.text import CJK, cjk_ratio, detect_language, normalize

log = logging.getLogger("wenda.app")

INDEX = Path(os.environ.get("WENDA_INDEX", "index"))
LANGUAGES = ("zh-Hant", "zh-Hans", "en")
CHINESE, ENGLISH = "中文", "English"
SHOWN_MODES = tuple(m for m in ("hybrid", "bm25", "dense") if m in MODES)
QUEUE_SIZE = 256  # waiting questions beyond this are turned away with "the queue is full"
EXPORT_AGE_S = 600  # a fact check's CSV and Markdown files are removed after this (Gradio copied them at once)
CACHE_AGE_S = 3600  # and Gradio's copies, which the download buttons serve, after this
LISTED_ARTICLES = 200  # the landing page lists this many articles at most, and says how many more there are
EXAMPLE_COUNT = 3  # example questions on the landing page, a button each
TOPICS_TRIED = 12  # headings and titles tried as the topics of example questions, at most

_CJK = re.compile(f"[{CJK}]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_CHINESE_TOPIC = re.compile(f"[{CJK}A-Za-z0-9]{{4,20}}")
_ENGLISH_TOPIC = re.compile(r"[A-Za-z][A-Za-z0-9'’ -]{2,60}")

UI = {
    "zh-Hant": {
        "intro": "## 問答 Wenda\n用中文或英文提問：答案摘自新聞文章，並附上出處。按出處編號可看到原文上下文。",
        "tab": "問答", "placeholder": "輸入問題，例如：香港科學園深圳分園進駐了多少家企業？", "ask": "提問",
        "examples": "試試這些問題：", "settings": "設定", "k": "段落數目", "mode": "檢索方式",
        "modes": {"hybrid": "混合（BM25 + 語意）", "bm25": "BM25 關鍵詞", "dense": "語意向量"},
        "scores": "顯示分數（BM25 排名、語意排名、融合分數）",
        "empty": "請先輸入問題，例如文章中提到的人物、日期或數字。",
        "too_long": "問題太長了（{length:,} 字，上限 {limit:,} 字）。請一次只問一件事。",
        "no_words": "這個問題沒有文字。請用中文或英文提問。",
        "failed": "抱歉，暫時無法回答這個問題，請稍後再試。",
        "api": "透過 API 使用", "covers": "Wenda 收錄 {articles} 篇文章，共 {passages} 段（按此列出）",
        "more": "還有 {more} 篇未列出。",
        "check_tab": "事實核查", "check": "核查", "csv": "下載 CSV", "markdown": "下載 Markdown",
        "check_placeholder": "貼上要核查的文稿（例如整篇新聞稿），或一行一句，例如：香港科學園深圳分園2023年9月開園，"
                             "已進駐40家香港企業和機構。",
    },
    "zh-Hans": {
        "intro": "## 问答 Wenda\n用中文或英文提问：答案摘自新闻文章，并附上出处。按出处编号可看到原文上下文。",
        "tab": "问答", "placeholder": "输入问题，例如：香港科学园深圳分园进驻了多少家企业？", "ask": "提问",
        "examples": "试试这些问题：", "settings": "设置", "k": "段落数目", "mode": "检索方式",
        "modes": {"hybrid": "混合（BM25 + 语义）", "bm25": "BM25 关键词", "dense": "语义向量"},
        "scores": "显示分数（BM25 排名、语义排名、融合分数）",
        "empty": "请先输入问题，例如文章中提到的人物、日期或数字。",
        "too_long": "问题太长了（{length:,} 字，上限 {limit:,} 字）。请一次只问一件事。",
        "no_words": "这个问题没有文字。请用中文或英文提问。",
        "failed": "抱歉，暂时无法回答这个问题，请稍后再试。",
        "api": "通过 API 使用", "covers": "Wenda 收录 {articles} 篇文章，共 {passages} 段（按此列出）",
        "more": "还有 {more} 篇未列出。",
        "check_tab": "事实核查", "check": "核查", "csv": "下载 CSV", "markdown": "下载 Markdown",
        "check_placeholder": "粘贴要核查的文稿（例如整篇新闻稿），或一行一句，例如：香港科学园深圳分园2023年9月开园，"
                             "已进驻40家香港企业和机构。",
    },
    "en": {
        "intro": "## Wenda 問答\nAsk in Chinese or English: answers are quoted from news articles, with their "
                 "sources. Open a source's number to read the passage in context.",
        "tab": "Ask", "placeholder": "Type a question, e.g. When did the Shenzhen branch of the Hong Kong "
                                     "Science Park open?", "ask": "Ask",
        "examples": "Try these questions:", "settings": "Settings",
        "k": "Number of passages", "mode": "Retrieval mode",
        "modes": {"hybrid": "Hybrid (BM25 + dense)", "bm25": "BM25 keywords", "dense": "Dense vectors"},
        "scores": "Show scores (BM25 rank, dense rank, fused score)",
        "empty": "Please type a question first, e.g. about a person, a date or a number in the articles.",
        "too_long": "That question is too long ({length:,} characters; the limit is {limit:,}). "
                    "Please ask about one thing at a time.",
        "no_words": "That question has no words in it. Please ask in Chinese or English.",
        "failed": "Sorry, Wenda could not answer that just now. Please try again in a moment.",
        "api": "Use via API", "covers": "Wenda covers {articles} article(s), {passages} passages (click to list them)",
        "more": "{more} more not listed.",
        "check_tab": "Fact check", "check": "Check", "csv": "Download CSV", "markdown": "Download Markdown",
        "check_placeholder": "Paste the draft to check (a whole press release will do), or one claim a line, e.g. "
                             "The Shenzhen branch of the Hong Kong Science Park opened in September 2023 and has "
                             "attracted 40 Hong Kong companies.",
    },
}

# The one form of the example questions, around a topic the articles' headings or titles name (``example_questions``).
EXAMPLE_FORMS = {"zh-Hant": "文章怎樣講述{topic}？", "zh-Hans": "文章怎样讲述{topic}？",
                 "en": "What do the articles say about {topic}?"}

CSS = """
.wenda-reply p { margin: 0.3em 0; }
.wenda-sentence { font-size: 1.05em; }
mark.wenda-passage { background: rgba(59, 130, 246, 0.12); color: inherit; }
mark.wenda-quote { background: #fde68a; color: #111827; }
mark.wenda-answer { background: #f59e0b; color: #111827; padding: 0 0.15em; border-radius: 0.2em; }
.wenda-ref, .wenda-number { font-weight: 600; color: #2563eb; }
.wenda-sentence { position: relative; }
a.wenda-ref { text-decoration: none; cursor: pointer; }
a.wenda-ref:hover, a.wenda-ref:focus-visible { text-decoration: underline; }
.wenda-preview { display: none; position: absolute; left: 0; right: 0; top: 100%; z-index: 30; margin-top: 0.25em;
  padding: 0.5em 0.75em; background: var(--background-fill-primary, #fff); color: var(--body-text-color, #111827);
  border: 1px solid #cbd5e1; border-radius: 0.4em; box-shadow: 0 6px 18px rgba(15, 23, 42, 0.15);
  font-size: 0.92rem; font-weight: 400; line-height: 1.55; }
.wenda-preview-quote, .wenda-preview-source { display: block; }
.wenda-preview-source { font-size: 0.85em; opacity: 0.75; margin-top: 0.3em; }
@media (hover: hover) { a.wenda-ref:hover .wenda-preview { display: block; } }
a.wenda-ref:focus-visible .wenda-preview, a.wenda-ref.wenda-previewing .wenda-preview { display: block; }
.wenda-english { margin-top: 0 !important; }
.wenda-caption { font-size: 0.82em; opacity: 0.85; margin: 0 0 0.4em 0 !important; padding-left: 0.6em;
  border-left: 2px dashed #cbd5e1; }
.wenda-caption-label { font-weight: 600; }
details.wenda-coverage summary { cursor: pointer; color: #2563eb; }
details.wenda-coverage table { margin-top: 0.4em; }
#wenda-examples { display: grid; grid-template-columns: repeat(auto-fit, minmax(16em, 1fr)); grid-auto-rows: 1fr;
  gap: var(--spacing-lg, 0.5em); }
#wenda-examples > .wenda-example { width: 100%; height: 100%; min-width: 0; }
@media (max-width: 640px) {  /* a phone: the title under the switch, each at full width; the answers wider */
  #wenda-top { flex-direction: column-reverse; align-items: stretch; }
  #wenda-top > * { width: 100%; min-width: 0 !important; flex: 0 0 auto; }
  #wenda-language { align-self: flex-end; width: auto; }
  #wenda-chat { min-height: 240px !important; }
  #wenda-chat .message-row { margin-left: 6px; margin-right: 6px; max-width: calc(100% - 12px); }
  details.wenda-citation { padding-right: 0.2em; }
  blockquote.wenda-context { margin-left: 0; margin-right: 0; }
}
.wenda-heading { font-weight: 600; margin-top: 0.8em !important; }
.wenda-abstain { font-weight: 600; }
.wenda-understood { font-size: 0.85em; opacity: 0.8; font-style: italic; }
details.wenda-original { font-size: 0.85em; margin: 0 0 0.3em 0; }
details.wenda-original summary { cursor: pointer; color: #2563eb; display: inline; }
#wenda-hint p { color: #b45309; margin: 0; }
details.wenda-citation { border-left: 3px solid #cbd5e1; padding: 0.1em 0.6em; margin: 0.3em 0; }
details.wenda-cited-passage { border-left-color: #f59e0b; }
details.wenda-citation summary { cursor: pointer; }
.wenda-cited { font-size: 0.8em; background: #fef3c7; color: #92400e; border-radius: 0.3em; padding: 0 0.3em; }
.wenda-snippet { opacity: 0.8; }
blockquote.wenda-context { margin: 0.4em 0; padding-left: 0.6em; border-left: 2px solid #e5e7eb; }
.wenda-meta, .wenda-scores { font-size: 0.85em; opacity: 0.85; }
.wenda-title { font-style: normal; font-weight: 600; }
.wenda-check { border-left: 3px solid #cbd5e1; padding: 0.2em 0.7em; margin: 0.7em 0; scroll-margin-top: 1em; }
.wenda-check.wenda-supported { border-left-color: #16a34a; }
.wenda-check.wenda-contradicted { border-left-color: #dc2626; }
.wenda-check.wenda-unsupported { border-left-color: #d97706; }
.wenda-check.wenda-not_found, .wenda-check.wenda-error { border-left-color: #9ca3af; }
.wenda-verdict { font-weight: 600; font-size: 0.85em; border-radius: 0.3em; padding: 0.05em 0.45em; }
.wenda-verdict-supported { background: #dcfce7; color: #166534; }
.wenda-verdict-contradicted { background: #fee2e2; color: #991b1b; }
.wenda-verdict-unsupported { background: #fef3c7; color: #92400e; }
.wenda-verdict-not_found, .wenda-verdict-error { background: #e5e7eb; color: #374151; }
.wenda-draft { line-height: 1.9; padding: 0.5em 0.8em; border: 1px solid #e5e7eb; border-radius: 0.4em; }
.wenda-draft-sentence { border-bottom: 2px solid; padding: 0.1em 0; }
.wenda-draft-supported { background: rgba(22, 163, 74, 0.10); border-color: #16a34a; }
.wenda-draft-contradicted { background: rgba(220, 38, 38, 0.12); border-color: #dc2626; }
.wenda-draft-unsupported { background: rgba(217, 119, 6, 0.14); border-color: #d97706; }
.wenda-draft-not_found, .wenda-draft-error { background: rgba(107, 114, 128, 0.10); border-color: #9ca3af; }
.wenda-claim-refs a { font-size: 0.75em; margin-left: 0.15em; color: #2563eb; text-decoration: none; }
.wenda-checks mark.wenda-value-claim { background: #fecaca; color: #991b1b; font-weight: 600; }
.wenda-checks mark.wenda-value-article { background: #bbf7d0; color: #166534; font-weight: 600; }
.wenda-checks mark.wenda-value-missing { background: #fde68a; color: #92400e; font-weight: 600; }
table.wenda-mismatches { border-collapse: collapse; margin: 0.3em 0; font-size: 0.95em; }
table.wenda-mismatches th, table.wenda-mismatches td { border: 1px solid #e5e7eb; padding: 0.15em 0.6em; text-align: left; }
.wenda-mismatch-claim { color: #991b1b; background: #fee2e2; font-weight: 600; }
.wenda-mismatch-article { color: #166534; background: #dcfce7; font-weight: 600; }
.wenda-check-summary { font-weight: 600; }
table.wenda-articles { border-collapse: collapse; width: 100%; font-size: 0.92em; }
table.wenda-articles th, table.wenda-articles td { border-bottom: 1px solid #e5e7eb; padding: 0.25em 0.5em; text-align: left; }
"""

# After an answer: bring the newest reply into view (the page is the one scroll area), once per new reply.
SCROLL_JS = """() => {
  const replies = document.querySelectorAll('#wenda-chat .wenda-reply');
  if (replies.length === (window.__wendaReplies || 0)) return;
  window.__wendaReplies = replies.length;
  const last = replies[replies.length - 1];
  const row = last && (last.closest('.message-row') || last);
  if (row) row.scrollIntoView({block: 'start', behavior: 'instant'});
}"""
# Once the labels change: Gradio's footer link to the API page in the interface language, told by the Ask
# button's label (a gr.State's value never reaches the browser).
FOOTER_JS = """(label) => {
  const words = %s;
  document.querySelectorAll('footer .show-api').forEach((link) => {
    for (const node of link.childNodes) {
      if (node.nodeType === 3 && Object.values(words).includes(node.textContent.trim())) {
        node.textContent = words[label] || words.Ask;
      }
    }
  });
}""" % json.dumps({words["ask"]: words["api"] for words in UI.values()}, ensure_ascii=False)
# In the page's head. Gradio copies a message and labels it for screen readers by its content, which for Wenda is
# HTML: both get the reply's plain text instead (its hidden .wenda-plain lines, ``render.answer_text``), the
# question's text for a question. A citation marker's click opens its source and scrolls to it; on a touch
# screen the first tap shows the preview that hovering shows elsewhere. (navigator.clipboard is there on https
# and on this machine's own address, where Gradio copies with it.) The style is the page's margin on a phone,
# outside the app's container, which the css of ``launch`` cannot reach.
HEAD = """<style>
@media (max-width: 640px) { .gradio-container .main.fillable { padding-left: 12px !important; padding-right: 12px !important; } }
</style>
<script>
(() => {
  const markup = /^\\s*<div class="wenda-/;
  const plain = (root) => {
    const lines = root.querySelector('.wenda-plain');
    return lines ? [...lines.children].map((line) => line.textContent).join('\\n') : root.textContent.trim();
  };
  if (navigator.clipboard) {
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (text) => write(
      markup.test(text) ? plain(new DOMParser().parseFromString(text, 'text/html').body) : text);
  }
  const relabel = () => document.querySelectorAll('#wenda-chat [aria-label*="message: "]').forEach((message) => {
    const content = message.querySelector('.wenda-reply, .wenda-question');
    const label = message.getAttribute('aria-label');
    const wanted = content && label.slice(0, label.indexOf(': ') + 2) + plain(content);
    if (content && label !== wanted) message.setAttribute('aria-label', wanted);
  });
  new MutationObserver(relabel).observe(document.documentElement,
    {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label']});
  document.addEventListener('click', (event) => {
    const ref = event.target.closest ? event.target.closest('a.wenda-ref') : null;
    document.querySelectorAll('a.wenda-previewing').forEach((other) => {
      if (other !== ref) other.classList.remove('wenda-previewing');
    });
    if (!ref) return;
    event.preventDefault();
    if (matchMedia('(hover: none)').matches && !ref.classList.contains('wenda-previewing')) {
      ref.classList.add('wenda-previewing');
      return;
    }
    ref.classList.remove('wenda-previewing');
    const source = ref.closest('.wenda-reply').querySelector('#' + CSS.escape(ref.hash.slice(1)));
    if (source) {
      source.open = true;
      source.scrollIntoView({block: 'center', behavior: 'instant'});
    }
  });
})();
</script>"""


def question_language(question: str) -> str:
    """The language a visitor asked in: Chinese (in the script of its Chinese characters) when it holds at least
    as many Chinese characters as English words, so "Who is the 執行總監 of 港科大?" is Chinese."""
    chinese = "".join(_CJK.findall(question))
    if chinese and len(chinese) >= len(_LATIN_WORD.findall(question)):
        return detect_language(chinese)
    return "en"


def interface_language(question: str, current: str, chosen: bool = False) -> str:
    """The language the interface should speak after ``question``: ``current`` once the visitor ``chosen`` it with
    the switch, or when the question has no letters to tell by (empty, punctuation, emoji); else the question's."""
    if chosen or not any(c.isalpha() for c in question or ""):
        return current
    return question_language(question)


def chosen_language(choice: str, current: str, chinese: str) -> str:
    """The interface language for the switch's ``choice``: English, or Chinese in the script the visitor last
    had (``current`` if Chinese, else ``chinese``), so Simplified comes back as Simplified."""
    if choice == ENGLISH:
        return "en"
    return current if current.startswith("zh") else chinese


def browser_language(accept_language: str) -> str:
    """The interface language for a browser's Accept-Language header (Traditional Chinese by default,
    as the articles are Hong Kong's)."""
    for part in accept_language.lower().replace(" ", "").split(","):
        tag = part.split(";")[0]
        if tag.startswith("en"):
            return "en"
        if tag in ("zh-cn", "zh-sg", "zh-hans") or tag.startswith("zh-hans"):
            return "zh-Hans"
        if tag.startswith("zh"):
            return "zh-Hant"
    return "zh-Hant"


def refusal(bot: Bot, question: str, language: str) -> str:
    """Why ``question`` is not sent to the bot, in ``language`` (blank, or over the length limit); '' when it can be."""
    length, limit = len((question or "").strip()), bot.settings.max_question_chars
    if not length:
        return UI[language]["empty"]
    return UI[language]["too_long"].format(length=length, limit=limit) if length > limit else ""


def reply(bot: Bot, question: str, k: int | None, mode: str | None, show_scores: bool, current: str,
          history: Sequence[str] = (), chosen: bool = False) -> tuple[str, str]:
    """(interface language, reply HTML) for one question from the chat, a follow-up of the earlier questions in
    ``history``; the reply shows how the question was understood when they changed it, and each source's snippet
    the sentence that matched it. Never raises."""
    language = interface_language(question, current, chosen)
    words = UI[language]
    if message := refusal(bot, question, language):
        return language, render.notice_html(message, language)
    if not any(c.isalnum() for c in question):
        return language, render.notice_html(words["no_words"], language)
    try:
        answer, understood = bot.ask_followup(question, history, int(k) if k else None, mode or None)
    except QueryError as error:
        return language, render.notice_html(str(error), language)
    except Exception:  # the last line of defence: the visitor gets a polite reply, the log the traceback
        log.exception("answering %r failed", question[:200])
        return language, render.notice_html(words["failed"], language)
    query = Query(understood.text, bot.encoder)
    matched = render.matched_sentences(answer.hits, query.weights(bot.index.bm25), query.pairs)
    return language, render.answer_html(answer, bot.index.articles, show_scores, language,
                                        understood.text if understood.changed else "", mode or bot.settings.mode,
                                        matched, key=str(len(history) + 1))


class Exports:
    """Where the fact-check tab writes its files: one temporary folder for the process, removed at exit, with
    a subfolder a check (visitors never overwrite each other's) removed once it is ``age_s`` old."""

    def __init__(self, age_s: float = EXPORT_AGE_S) -> None:
        self.age_s = age_s
        self._folder: Path | None = None
        self._lock = threading.Lock()

    @property
    def folder(self) -> Path:
        """The process's folder, made on first use."""
        with self._lock:
            if self._folder is None or not self._folder.is_dir():
                self._folder = Path(tempfile.mkdtemp(prefix="wenda-check-"))
                atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
            return self._folder

    def new(self) -> Path:
        """A fresh subfolder for one check's files, once the subfolders older than ``age_s`` are removed."""
        folder, now = self.folder, time.time()
        for old in folder.iterdir():
            try:
                if now - old.stat().st_mtime >= self.age_s:
                    shutil.rmtree(old, ignore_errors=True)
            except FileNotFoundError:  # another check removed it first
                continue
        return Path(tempfile.mkdtemp(dir=folder))


EXPORTS = Exports()


# What the fact-check tab last showed, kept to show it again in another language: the checked draft, why
# it could not be checked, or the failure (None before the first check).
Checked = factcheck_render.Report | factcheck_render.DraftError | Exception | None


def check_draft(bot: Bot, text: str) -> Checked:
    """The pasted draft checked claim by claim, or why not; never raises."""
    try:
        return factcheck_render.check_claims(bot, text)
    except factcheck_render.DraftError as error:
        return error
    except Exception as error:  # the last line of defence, as in reply()
        log.exception("checking %r failed", (text or "")[:200])
        return error


def present(bot: Bot, checked: Checked, language: str,
            exports: Exports = EXPORTS) -> tuple[str, str | None, str | None]:
    """(report HTML, CSV file, Markdown file) in the interface ``language`` (no files when nothing was checked);
    the files are named with today's date and headed in ``language``."""
    if isinstance(checked, factcheck_render.DraftError):
        return render.notice_html(checked.message(language), language), None, None
    if not isinstance(checked, factcheck_render.Report):
        return render.notice_html(UI[language]["failed"], language), None, None
    articles = bot.index.articles
    folder = exports.new()
    csv_path, md_path = folder / factcheck_render.file_name("csv"), folder / factcheck_render.file_name("md")
    csv_path.write_text(factcheck_render.to_csv(checked, articles, language), encoding="utf-8-sig")
    md_path.write_text(factcheck_render.to_markdown(checked, articles, language), encoding="utf-8")
    return factcheck_render.report_html(checked, articles, language), str(csv_path), str(md_path)


def fact_check(bot: Bot, text: str, language: str, exports: Exports = EXPORTS) -> tuple[str, str | None, str | None]:
    """(report HTML, CSV file, Markdown file) for a pasted draft; never raises."""
    return present(bot, check_draft(bot, text), language, exports)


# The Articles tab (present only when the server has an admin token): its words in each language.
ARTICLE_WORDS = {
    "zh-Hant": {
        "tab": "文章", "token": "管理密碼（WENDA_ADMIN_TOKEN）", "show": "顯示文章",
        "upload": "把文章檔案拖放到這裏，或按此選擇（{types}；每個最多 {mb} MB）", "add": "加入文章",
        "choice": "要移除的文章", "remove": "移除",
        "columns": ["標題", "來源", "日期", "段落", "檔案", "編號"],
        "wrong_token": "管理密碼不對：沒有作任何改動。", "no_files": "請先選擇或拖放文章檔案。",
        "no_choice": "請先選擇要移除的文章。", "none": "還沒有文章。",
        "added": "已加入 {file}：{articles} 篇文章，{passages} 段。", "removed": "已移除 {file}（{articles} 篇文章）。",
        "failed": "{file} 沒有加入：{why}", "listed": "共 {articles} 篇文章。",
    },
    "zh-Hans": {
        "tab": "文章", "token": "管理密码（WENDA_ADMIN_TOKEN）", "show": "显示文章",
        "upload": "把文章文件拖放到这里，或按此选择（{types}；每个最多 {mb} MB）", "add": "加入文章",
        "choice": "要移除的文章", "remove": "移除",
        "columns": ["标题", "来源", "日期", "段落", "文件", "编号"],
        "wrong_token": "管理密码不对：没有作任何改动。", "no_files": "请先选择或拖放文章文件。",
        "no_choice": "请先选择要移除的文章。", "none": "还没有文章。",
        "added": "已加入 {file}：{articles} 篇文章，{passages} 段。", "removed": "已移除 {file}（{articles} 篇文章）。",
        "failed": "{file} 没有加入：{why}", "listed": "共 {articles} 篇文章。",
    },
    "en": {
        "tab": "Articles", "token": "Admin token (WENDA_ADMIN_TOKEN)", "show": "Show the articles",
        "upload": "Drop article files here, or click to choose them ({types}; at most {mb} MB each)",
        "add": "Add the articles", "choice": "Article to remove", "remove": "Remove",
        "columns": ["Title", "Source", "Date", "Passages", "File", "ID"],
        "wrong_token": "The admin token is wrong: nothing was changed.", "no_files": "Choose or drop article files first.",
        "no_choice": "Choose the article to remove first.", "none": "No articles yet.",
        "added": "Added {file}: {articles} article(s), {passages} passages.",
        "removed": "Removed {file} ({articles} article(s)).", "failed": "{file} was not added: {why}",
        "listed": "{articles} article(s).",
    },
}


def article_words(lang: str) -> dict:
    """The Articles tab's words in ``lang``, the upload hint filled in."""
    words = dict(ARTICLE_WORDS[lang])
    words["upload"] = words["upload"].format(types=" ".join(SUFFIXES), mb=MAX_UPLOAD_BYTES // MB)
    return words


COLUMNS = ("title", "source", "date", "passages", "file", "doc_id")  # an article row's fields, as the tab lists them


def articles_table(rows: list[dict], lang: str, columns: Sequence[str] = COLUMNS) -> str:
    """Articles as a table of the given ``columns``; every value escaped (a title may come from any uploaded page)."""
    names = dict(zip(COLUMNS, article_words(lang)["columns"]))
    head = "".join(f"<th>{html.escape(names[key])}</th>" for key in columns)
    body = "".join('<tr class="wenda-article-row">' + "".join(
        f'<td class="wenda-article-{key}">{html.escape(str(row[key]))}</td>' for key in columns) + "</tr>"
        for row in rows)
    return f'<table class="wenda-articles"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def articles_html(rows: list[dict] | None, lang: str) -> str:
    """The Articles tab's list: how many, then the table (nothing before the token is given)."""
    if rows is None:
        return ""
    words = article_words(lang)
    if not rows:
        return f'<p class="wenda-articles-empty">{html.escape(words["none"])}</p>'
    return (f'<p class="wenda-articles-count">{html.escape(words["listed"].format(articles=len(rows)))}</p>'
            + articles_table(rows, lang))


def status_html(messages: list[tuple[bool, str]]) -> str:
    """What the last change did, a line each: ``(ok, message)``."""
    return "".join(f'<p class="wenda-articles-status wenda-{"done" if ok else "refused"}">{html.escape(text)}</p>'
                   for ok, text in messages)


def list_articles(library: Library, token: str, lang: str) -> tuple[str, list[dict] | None]:
    """(status HTML, rows) for the list, or why not (rows None: a wrong token sees no list)."""
    if not library.allows(token):
        return status_html([(False, article_words(lang)["wrong_token"])]), None
    return "", [row.as_dict() for row in library.rows()]


def add_articles(library: Library, token: str, paths: list[str] | None, lang: str,
                 progress: Callable[[float, str], None] = lambda share, what: None) -> tuple[str, list[dict] | None]:
    """Add each uploaded file in turn, saying what each did; (status HTML, rows after). A file that fails is
    reported and the others still added; a wrong token adds none."""
    words = article_words(lang)
    if not library.allows(token):
        return status_html([(False, words["wrong_token"])]), None
    if not paths:
        return status_html([(False, words["no_files"])]), [row.as_dict() for row in library.rows()]
    messages = []
    for number, path in enumerate(paths):
        name = Path(path).name
        progress(number / len(paths), name)
        try:
            size = Path(path).stat().st_size
            if size > MAX_UPLOAD_BYTES:
                raise too_large(size)
            done = library.add(name, Path(path).read_bytes(), progress=True)
            messages.append((True, words["added"].format(file=done["file"], articles=len(done["added"]),
                                                         passages=sum(a["passages"] for a in done["added"]))))
        except WendaError as error:
            messages.append((False, words["failed"].format(file=name, why=error)))
    progress(1.0, "")
    return status_html(messages), [row.as_dict() for row in library.rows()]


def remove_article(library: Library, token: str, doc_id: str | None, lang: str) -> tuple[str, list[dict] | None]:
    """Remove the file of ``doc_id`` and its articles; (status HTML, rows after)."""
    words = article_words(lang)
    if not library.allows(token):
        return status_html([(False, words["wrong_token"])]), None
    if not doc_id:
        return status_html([(False, words["no_choice"])]), [row.as_dict() for row in library.rows()]
    try:
        done = library.remove(doc_id)
        message = (True, words["removed"].format(file=done["file"], articles=len(done["removed"])))
    except WendaError as error:
        message = (False, str(error))
    return status_html([message]), [row.as_dict() for row in library.rows()]


ARTICLES_CSS = """
.wenda-articles-status.wenda-done { color: #166534; }
.wenda-articles-status.wenda-refused { color: #991b1b; }
"""


def articles_tab(library: Library, language: gr.State, local: Callable) -> None:
    """The Articles tab, built inside ``gr.Tabs``: the token, the list, an upload area and removal."""
    words = article_words("zh-Hant")
    with local(gr.Tab(words["tab"], id="articles"), lambda lang: gr.update(label=article_words(lang)["tab"])):
        with gr.Row():
            token = local(gr.Textbox(type="password", label=words["token"], scale=3, elem_id="wenda-token"),
                          lambda lang: gr.update(label=article_words(lang)["token"]))
            show = local(gr.Button(words["show"], scale=1, elem_id="wenda-show"),
                         lambda lang: gr.update(value=article_words(lang)["show"]))
        files = local(gr.File(file_count="multiple", file_types=list(SUFFIXES), label=words["upload"],
                              elem_id="wenda-upload"),
                      lambda lang: gr.update(label=article_words(lang)["upload"]))
        add = local(gr.Button(words["add"], variant="primary", elem_id="wenda-add"),
                    lambda lang: gr.update(value=article_words(lang)["add"]))
        status = gr.HTML(elem_id="wenda-articles-status")
        table = gr.HTML(elem_id="wenda-articles")
        with gr.Row():
            choice = local(gr.Dropdown([], label=words["choice"], scale=3, elem_id="wenda-remove-choice"),
                           lambda lang: gr.update(label=article_words(lang)["choice"]))
            remove = local(gr.Button(words["remove"], variant="stop", scale=1, elem_id="wenda-remove"),
                           lambda lang: gr.update(value=article_words(lang)["remove"]))
        listed = gr.State(None)  # the rows last shown, to show again in another language

    def shown(status_: str, rows: list[dict] | None, lang: str) -> list:
        options = [(f"{row['title']} ({row['doc_id']})", row["doc_id"]) for row in rows or []]
        return [status_, articles_html(rows, lang), gr.update(choices=options, value=None), rows]

    def show_event(token_: str, lang: str) -> list:
        return shown(*list_articles(library, token_, lang), lang)

    def add_event(token_: str, paths: list[str] | None, lang: str, progress=gr.Progress(track_tqdm=True)) -> list:
        return [*shown(*add_articles(library, token_, paths, lang, lambda share, what: progress(share, desc=what)),
                       lang), None]

    def remove_event(token_: str, doc_id: str | None, lang: str) -> list:
        return shown(*remove_article(library, token_, doc_id, lang), lang)

    outputs = [status, table, choice, listed]
    private = {"api_visibility": "private", "concurrency_id": "articles", "concurrency_limit": 1}
    show.click(show_event, [token, language], outputs, **private)
    token.submit(show_event, [token, language], outputs, **private)
    add.click(add_event, [token, files, language], [*outputs, files], **private)
    remove.click(remove_event, [token, choice, language], outputs, **private)
    language.change(lambda rows, lang: articles_html(rows, lang), [listed, language], table, api_visibility="private")


def is_topic(heading: str) -> bool:
    """Whether a heading or title names a topic to ask about: a Chinese name of 4 to 20 characters without
    spaces or clause punctuation (香港科學園深圳分園, not the headline 創科合作 深港雙向奔赴), or English of one to
    six words."""
    if cjk_ratio(heading) >= 0.5:
        return bool(_CHINESE_TOPIC.fullmatch(heading))
    return bool(_ENGLISH_TOPIC.fullmatch(heading)) and len(heading.split()) <= 6


def topics(bot: Bot, limit: int = TOPICS_TRIED) -> list[str]:
    """Topics for example questions: the headings and titles of the indexed articles that name one (``is_topic``),
    the articles taking turns, a short topic before a long one, at most ``limit``."""
    by_article: dict[str, dict[str, None]] = {}  # each article's topics in reading order, each once
    total = 0
    for passage in bot.index.passages:
        found = by_article.setdefault(passage.doc_id, {})
        for heading in (passage.title, *passage.section.split(" › ")):
            if len(found) < limit and heading not in found and is_topic(heading):
                found[heading] = None
                total += 1
        if total >= 3 * limit:  # enough to choose from: a large corpus is not read to its end
            break
    turns = [list(found) for found in by_article.values()]
    taking_turns = [found[i] for i in range(limit) for found in turns if i < len(found)]
    return sorted(taking_turns, key=lambda topic: len(topic) > (10 if cjk_ratio(topic) >= 0.5 else 30))[:limit]


def answers_about(bot: Bot, question: str, topic: str) -> bool:
    """Whether Wenda answers ``question`` from a passage that names ``topic`` (in its text or its heading)."""
    try:
        answer = bot.ask(question)
    except WendaError:
        return False
    return answer.found and any(normalize(topic) in normalize(hit.passage.search_text())
                                for hit in answer.hits if hit.rank == answer.citation)


def example_questions(bot: Bot, count: int = EXAMPLE_COUNT) -> dict[str, list[str]]:
    """Up to ``count`` example questions in each interface language, drawn from the indexed articles: the one
    form of EXAMPLE_FORMS around a topic their headings or titles name (``topics``; in the reader's script),
    kept only when Wenda answers it from a passage naming that topic. Nothing is written for one corpus."""
    chosen: dict[str, list[str]] = {"zh-Hant": [], "en": []}  # Simplified asks as Traditional does
    for topic in topics(bot):
        for language, found in chosen.items():
            question = EXAMPLE_FORMS[language].format(topic=shown(topic, language))
            if len(found) < count and answers_about(bot, question, topic):
                found.append(topic)
        if all(len(found) == count for found in chosen.values()):
            break
    return {language: [EXAMPLE_FORMS[language].format(topic=shown(topic, language))
                       for topic in chosen["en" if language == "en" else "zh-Hant"]] for language in LANGUAGES}


def article_rows(bot: Bot) -> list[dict]:
    """Every indexed article with its title, source, date and number of passages, in the index's order."""
    counts = Counter(passage.doc_id for passage in bot.index.passages)
    return [{"title": a.title, "source": a.source, "date": a.date, "passages": counts[doc_id]}
            for doc_id, a in bot.index.articles.items()]


def coverage_html(rows: list[dict], lang: str, limit: int = LISTED_ARTICLES) -> str:
    """What Wenda covers, for the landing page: how many articles and passages, opening to the list of them
    (title, source, date, passages; the first ``limit``)."""
    words = UI[lang]
    summary = words["covers"].format(articles=f"{len(rows):,}", passages=f"{sum(r['passages'] for r in rows):,}")
    more = (f'<p class="wenda-coverage-more">{html.escape(words["more"].format(more=f"{len(rows) - limit:,}"))}</p>'
            if len(rows) > limit else "")
    return (f'<details class="wenda-coverage"><summary>{html.escape(summary)}</summary>'
            f'{articles_table(rows[:limit], lang, COLUMNS[:4])}{more}</details>')


class Landing:
    """What the landing page shows of the index (its articles, the example questions), worked out once for
    each generation of the index: the Articles tab may change it while the app runs."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._lock = threading.Lock()
        self._shown: tuple[object, list[dict], dict[str, list[str]]] | None = None

    def current(self) -> tuple[list[dict], dict[str, list[str]]]:
        """(article rows, example questions by language) of the index being answered from."""
        with self._lock:
            generation = self.bot.index.files
            if self._shown is None or self._shown[0] != generation:
                self._shown = (generation, article_rows(self.bot), example_questions(self.bot))
            return self._shown[1], self._shown[2]


def build_app(bot: Bot, library: Library | None = None) -> gr.Blocks:
    """The web interface over ``bot``: what it covers (its articles, example questions drawn from them), a chat
    tab (another tab goes beside it in ``gr.Tabs``), the fact-check tab, the Articles tab when there is a
    ``library`` to change, and the named API endpoint ``/ask`` for gradio_client, which returns the same object
    as ``POST /api/ask``."""
    start = "zh-Hant"
    words = UI[start]
    landing = Landing(bot)
    rows, examples_at_start = landing.current()

    def example(lang: str, i: int) -> dict:
        """The ``i``-th example button in ``lang`` (a button's arguments or its update): its question, hidden when
        the articles offer fewer."""
        questions = landing.current()[1][lang]
        return {"value": questions[i] if i < len(questions) else "", "visible": i < len(questions)}

    default_mode = bot.settings.mode if bot.settings.mode in SHOWN_MODES else SHOWN_MODES[0]
    # every component whose text follows the interface language, with the update that sets it
    localized: list[tuple[gr.components.Component, Callable[[str], dict]]] = []

    def local(component, update: Callable[[str], dict]):
        localized.append((component, update))
        return component

    with gr.Blocks(title="Wenda 問答", analytics_enabled=False, delete_cache=(CACHE_AGE_S, CACHE_AGE_S)) as demo:
        language = gr.State(start)
        chosen = gr.State(False)  # whether the visitor set the language with the switch: questions then keep it
        chinese = gr.State(start)  # the Chinese script to come back to from English
        asked = gr.State([])  # the questions asked so far, oldest first: a follow-up's history
        with gr.Row(elem_id="wenda-top"):
            local(gr.Markdown(words["intro"]), lambda lang: gr.update(value=UI[lang]["intro"]))
            switch = local(gr.Radio([CHINESE, ENGLISH], value=CHINESE, show_label=False, container=False, scale=0,
                                    min_width=180, elem_id="wenda-language"),
                           lambda lang: gr.update(value=ENGLISH if lang == "en" else CHINESE))
        local(gr.HTML(coverage_html(rows, start), elem_id="wenda-coverage"),
              lambda lang: gr.update(value=coverage_html(landing.current()[0], lang)))
        with gr.Tabs():
            with local(gr.Tab(words["tab"], id="ask"), lambda lang: gr.update(label=UI[lang]["tab"])):
                chat = gr.Chatbot(show_label=False, height=None, min_height=360, max_height=None, autoscroll=False,
                                  latex_delimiters=[], allow_tags=False, sanitize_html=True, buttons=["copy"],
                                  feedback_options=None, group_consecutive_messages=False, elem_id="wenda-chat")
                with gr.Row():
                    question = local(gr.Textbox(show_label=False, placeholder=words["placeholder"], lines=1,
                                                max_lines=6, scale=5, container=False, elem_id="wenda-question"),
                                     lambda lang: gr.update(placeholder=UI[lang]["placeholder"]))
                    ask = local(gr.Button(words["ask"], variant="primary", scale=1, min_width=90, elem_id="wenda-ask"),
                                lambda lang: gr.update(value=UI[lang]["ask"]))
                hint = gr.Markdown("", elem_id="wenda-hint")
                local(gr.Markdown(words["examples"], visible=bool(examples_at_start[start])),
                      lambda lang: gr.update(value=UI[lang]["examples"], visible=bool(landing.current()[1][lang])))
                with gr.Row(elem_id="wenda-examples"):
                    examples = [local(gr.Button(size="sm", elem_classes="wenda-example", **example(start, i)),
                                      lambda lang, i=i: gr.update(**example(lang, i)))
                                for i in range(EXAMPLE_COUNT)]
                with local(gr.Accordion(words["settings"], open=False, elem_id="wenda-settings"),
                           lambda lang: gr.update(label=UI[lang]["settings"])):
                    k = local(gr.Slider(1, 10, value=bot.settings.k, step=1, label=words["k"], elem_id="wenda-k"),
                              lambda lang: gr.update(label=UI[lang]["k"]))
                    mode = local(gr.Radio(_mode_choices(start), value=default_mode, label=words["mode"],
                                          elem_id="wenda-mode"),
                                 lambda lang: gr.update(label=UI[lang]["mode"], choices=_mode_choices(lang)))
                    scores = local(gr.Checkbox(False, label=words["scores"], elem_id="wenda-scores"),
                                   lambda lang: gr.update(label=UI[lang]["scores"]))
            with local(gr.Tab(words["check_tab"], id="check"), lambda lang: gr.update(label=UI[lang]["check_tab"])):
                claims = local(gr.Textbox(show_label=False, placeholder=words["check_placeholder"], lines=6,
                                          max_lines=30, elem_id="wenda-claims"),
                               lambda lang: gr.update(placeholder=UI[lang]["check_placeholder"]))
                check = local(gr.Button(words["check"], variant="primary", elem_id="wenda-check"),
                              lambda lang: gr.update(value=UI[lang]["check"]))
                report = gr.HTML(elem_id="wenda-report")
                last_check = gr.State(None)
                with gr.Row():
                    csv_file = local(gr.DownloadButton(words["csv"], visible=False, size="sm", elem_id="wenda-csv"),
                                     lambda lang: gr.update(label=UI[lang]["csv"]))
                    md_file = local(gr.DownloadButton(words["markdown"], visible=False, size="sm",
                                                      elem_id="wenda-markdown"),
                                    lambda lang: gr.update(label=UI[lang]["markdown"]))
            if library is not None:
                articles_tab(library, language, local)

        chrome = [component for component, _ in localized]

        def labels(lang: str) -> list[dict]:
            return [update(lang) for _, update in localized]

        def respond(text: str, history: list, earlier: list, k_: float, mode_: str, scores_: bool, lang: str,
                    chosen_: bool, chinese_: str) -> list:
            text = encodable(text or "")  # the visitor's turn is shown again: it must encode as UTF-8
            lang = interface_language(text, lang, chosen_)
            if message := refusal(bot, text, lang):  # no reply; a hint under the box, the text kept to trim
                return [gr.update(), gr.update(), earlier, lang, chinese_, message, *labels(lang)]
            lang, html = reply(bot, text, k_, mode_, scores_, lang, earlier, chosen_)
            history = [*(history or []), {"role": "user", "content": render.question_html(text)},
                       {"role": "assistant", "content": html}]
            chinese_ = lang if lang.startswith("zh") else chinese_
            return [history, "", [*earlier, text.strip()], lang, chinese_, "", *labels(lang)]

        def respond_example(text: str, history: list, earlier: list, k_: float, mode_: str, scores_: bool, lang: str,
                            chosen_: bool, chinese_: str) -> list:
            """An example question: asked in the interface language it was offered in, which it keeps."""
            return respond(text, history, earlier, k_, mode_, scores_, lang, True, chinese_)

        def switch_language(choice: str, lang: str, chinese_: str) -> list:
            lang = chosen_language(choice, lang, chinese_)
            return [lang, True, lang if lang.startswith("zh") else chinese_, *labels(lang)]

        def on_load(request: gr.Request) -> list:
            lang = browser_language(request.headers.get("accept-language", "") if request else "")
            return [lang, lang if lang.startswith("zh") else start, *labels(lang)]

        outputs = [chat, question, asked, language, chinese, hint, *chrome]
        options = [k, mode, scores, language, chosen, chinese]
        # every event that answers shares one concurrency group, so at most CONCURRENCY answer at once
        answering = {"concurrency_id": "answer", "api_visibility": "private"}
        for source, trigger, handler in ((question, question.submit, respond), (question, ask.click, respond),
                                         *((button, button.click, respond_example) for button in examples)):
            trigger(handler, [source, chat, asked, *options], outputs, **answering).then(
                None, None, None, js=SCROLL_JS).then(None, [ask], None, js=FOOTER_JS)
        switch.input(switch_language, [switch, language, chinese], [language, chosen, chinese, *chrome],
                     api_visibility="private").then(None, [ask], None, js=FOOTER_JS)

        def shown(html: str, csv_path: str | None, md_path: str | None) -> list:
            return [html, gr.update(value=csv_path, visible=csv_path is not None),
                    gr.update(value=md_path, visible=md_path is not None)]

        def check_event(text: str, lang: str) -> list:
            checked = check_draft(bot, text)
            return [*shown(*present(bot, checked, lang)), checked]

        def show_again(checked: Checked, lang: str) -> list:
            """The last report (and its files) in the interface language, once that changes."""
            if checked is None:
                return [gr.update(), gr.update(), gr.update()]
            return shown(*present(bot, checked, lang))

        check.click(check_event, [claims, language], [report, csv_file, md_file, last_check], **answering)
        language.change(show_again, [last_check, language], [report, csv_file, md_file], api_visibility="private")
        demo.load(on_load, None, [language, chinese, *chrome], api_visibility="private").then(
            None, [ask], None, js=FOOTER_JS)

        def ask_api(question: str, k: int = bot.settings.k, mode: str = bot.settings.mode,
                    history: list[str] | None = None) -> dict:
            """Answer a question from the articles, a follow-up of the earlier questions in ``history`` (oldest
            first): the JSON object of POST /api/ask and `bot ask --json`."""
            try:
                return bot.followup_json(question, history, k, mode) if history else bot.ask_json(question, k, mode)
            except QueryError as error:  # the caller's mistake: no traceback in the server's log
                raise gr.Error(str(error), print_exception=False) from None

        gr.api(ask_api, api_name="ask", concurrency_id="answer")

        def check_api(claim: str, k: int = PASSAGES) -> dict:
            """Check a claim against the articles: the JSON object of POST /api/check and `bot check --json`."""
            try:
                return check_json(bot, claim, k)
            except QueryError as error:
                raise gr.Error(str(error), print_exception=False) from None

        gr.api(check_api, api_name="check", concurrency_id="answer")
    return demo


def _mode_choices(lang: str) -> list[tuple[str, str]]:
    return [(UI[lang]["modes"][m], m) for m in SHOWN_MODES]


class Server(uvicorn.Server):
    """uvicorn serving the API with the web app mounted on it. At shutdown it first ends the heartbeat
    stream each open browser tab holds (as ``Blocks.launch`` does), so Ctrl-C stops it at once."""

    async def shutdown(self, sockets=None) -> None:
        for route in self.config.app.routes:
            if isinstance(getattr(route, "app", None), gr.routes.App):
                route.app.stop_event.set()
        await super().shutdown(sockets)


def create_server(bot: Bot, host: str = "127.0.0.1", port: int = 7860, admin_token: str | None = None) -> Server:
    """One server for the web app (``/``) and the JSON API (``/api/...``); ``.run()`` serves until stopped.
    ``port=0`` takes a free port (read it from ``server.servers`` once ``server.started``). With an
    ``admin_token`` the articles can be changed (the Articles tab, ``/api/articles``), and answers follow."""
    library = Library(bot, admin_token) if admin_token else None
    bot = library.live if library else bot
    demo = build_app(bot, library).queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE)
    app = gr.mount_gradio_app(
        create_api(bot, library=library), demo, path="/", server_name=host, server_port=port,
        css=CSS + (ARTICLES_CSS if library else ""), head=HEAD,
        footer_links=["api"], run_history=False, enable_monitoring=False, show_error=False,
        max_file_size=MAX_UPLOAD_BYTES,
    )
    return Server(uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5))


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    try:
        bot = Bot.open(INDEX)
    except WendaError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    bot.warm_up()
    port = int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    print(f"Wenda: http://127.0.0.1:{port}  (JSON API: POST http://127.0.0.1:{port}/api/ask)", flush=True)
    create_server(bot, port=port, admin_token=os.environ.get("WENDA_ADMIN_TOKEN") or None).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
