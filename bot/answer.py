"""Extractive answers: the best sentence of the top passages, the short span inside it that the
question asks for, a confidence, and abstention when the articles do not answer."""

from __future__ import annotations

import re
from string import ascii_lowercase
from dataclasses import dataclass, field
from typing import Sequence

import jieba.posseg

from .encoders import Encoder
from .evidence import coverage, pair_share, token_holder
from .index import Index
from .reader import SpanReader
from .retrieve import Hit, Query
from .selection import Candidate, is_chinese, load_selection
from .settings import Settings
from .text import STOPWORDS, Sentence, normalize, split_sentences, tokens

Span = tuple[int, int]

NOT_FOUND = {
    "zh-Hant": "文章中找不到這個問題的答案。",
    "zh-Hans": "文章中找不到这个问题的答案。",
    "en": "The articles do not answer this question.",
}

# Kinds answered by a word with a telling last character: (the question's noun in Chinese, in English,
# the endings of an answer word), e.g. 哪種語言 / what language → 梵語, 拉丁文.
_HEADED = {
    "language": ("语言|语种", r"languages?\b", "语文"),
    "dynasty": ("朝代|王朝", r"dynast(?:y|ies)\b", "朝"),
    "ethnic": ("民族|族群", r"ethnic", "族"),
    "team": ("球队|队伍|队", r"teams?\b|clubs?\b", "队"),
    "award": ("奖项|奖", r"awards?\b|prizes?\b", "奖"),
    "festival": ("节日|节", r"festivals?\b|holidays?\b", "节"),
    "religion": ("宗教|教派", r"religions?\b", "教"),
    "river": ("河流|河|江", r"rivers?\b", "河江"),
    "mountain": ("山脉|山峰|山", r"mountains?\b", "山"),
    "island": ("岛屿|岛", r"islands?\b", "岛"),
    "war": ("战争|战役", r"wars?\b|battles?\b", "战役"),
    "ideology": ("主义", r"ideolog(?:y|ies)\b|doctrines?\b", "义"),
    "colour": ("颜色", r"colou?rs?\b", "色"),
}

# Question types, matched on the normalised (Simplified, lower-case) question; first match wins.
_QUESTION_TYPES = (
    ("month", r"哪一?月|几月|哪年哪月|what month|which month|month and year"),
    ("year", r"哪一?年(?!代)(?!哪)|何年|\b(?:what|which) year\b"),
    ("date", r"何时|[什甚]么(?:时候|时间|年代)|哪一?年|哪一?月|几月|几时|何年|哪天|哪一天|\bwhen\b|what year|which year|what month|which month|what date"),
    ("money", r"多少钱|(?:票价|车费|价格|价钱|费用|金额|造价|成本|资金|经费|拨款|投资额|售价|租金|工资|薪金|薪酬|预算|营收|营业额)"
              r"(?:是|为|约|大约|共|达|有)?(?:多少|几)|多少(?:港元|港币|元|美元|人民币|资金|经费)|(?:耗资|投资了?|融资|拨款|集资|筹集了?)多少"
              r"|\bhow much\b.*\b(?:cost|costs|price|fare|fees?|fund(?:s|ing|ed)?|money|spen[dt]|pa(?:y|id)|invest(?:ed|ment)?|worth|budget|grant(?:ed)?|raised?)\b"
              r"|\bwhat (?:is|was|are|were) (?:[\w']+ ){0,4}(?:cost|price|fare|fee|budget|salary|revenue|turnover)s?\b"),
    ("area", r"面积(?:是|为|约|有|达|共)?(?:多少|几|多大)|多少平方|几平方|多大面积|\bhow many (?:square|hectares|acres)\b"
             r"|\b(?:what|how large|how big) is the (?:\w+ )*?area\b|\bin (?:square (?:kilomet|met|mile)|hectares|acres)"),
    ("percent", r"(?:多少|几)(?:个)?(?:百分比|百分点|比例|比率|成)|百分之(?:多少|几)|(?:比例|比率|占比|比重|份额)(?:是|为|约|大约|达)?(?:多少|几)"
                r"|\bwhat (?:percentage|percent|proportion|fraction)\b|\bby how many percent"),
    ("number", r"多少|几|多大|多长|多久|\bhow (?:many|much|large|big|long|old)\b|what (?:number|percentage|share)"),
    ("work", r"哪一?(?:部|本|首|篇|张|套|份|家|出|个)?(?:作品|电影|影片|书|书籍|小说|歌|歌曲|专辑|剧|电视剧|剧集|游戏|报纸|杂志|刊物|节目|著作|漫画|动画|诗|文章|论文|法律|条约|法案)"
             r"|[什甚]么(?:书|电影|影片|作品|小说|歌曲|歌|专辑|电视剧|剧|游戏|报纸|杂志|节目|刊物|著作|漫画|动画|诗|文章|论文|法律|条约|法案|书名|曲)"
             r"|\b(?:which|what) (?:book|film|movie|novel|song|album|newspaper|magazine|series|show|game|play|opera|poem|treaty|law|act)\b"),
    *((kind, rf"(?:哪|[什甚]么)[一个种门支座条所位部项类场届]{{0,2}}(?:{zh})|\b(?:what|which) (?:\w+ ){{0,2}}(?:{en})")
      for kind, (zh, en, _) in _HEADED.items()),
    ("person", r"谁|哪位|\bwho(?:m|se)?\b|which (?:person|reporter|official|executive|professor)"),
    ("place", r"哪里|哪儿|何处|哪边|哪一?个?(?:城市|地方|区|国家|地区|省|州)|\bwhere\b|which (?:city|district|country|place)"),
    ("org", r"哪(?:个|家|间|所)?(?:机构|公司|部门|单位|组织|大学|研究院|机关)|\bwhich (?:body|organi[sz]ation|agency|company|institute|institution|department|university|offices?|regulator)\b"),
)
# A quantity with the words that change it ("more than", "about", "or more": 超过160个, 约2.8%, 50家以上);
# "as many as" and "in total" (达, 共) left out, as answer keys do.
_NUMBER = re.compile(
    r"(?:超过|超|逾|约|近)?"
    r"(?:\d(?:[\d,]*\d)?(?:\.\d+)?|[一二两三四五六七八九十百千万亿零〇]+)"
    r"(?:[十百千万亿]+)?(?:多|余)?"
    r"(?:%|％|个月|个|家|间|所|项|件|篇|名|人|位|栋|班|次|倍|岁|年|天|小时|分钟|秒|周年|周|亿港元|亿元|万元|港元|元|美元|平方公里|公里"
    r"|厘米|毫米|米|吨|公斤|千克|公顷|英里|英尺|度|条|座|只|张|批|趟|代|层|场|对|首|种|路|话|集|章|部|本|支|架|艘|辆|户|枚|颗"
    r"|款|份|处|匹|头|台|期|届|轮|卷|册|起)?"
    r"(?:以上|以内|左右)?"
)
_ERA = r"(?:公元前?|西元前?|前)"
_BARE_YEAR = r"\b(?:1\d{3}|20\d{2})\b"  # a year in digits alone (1650, 2023)
_DATE = re.compile(
    rf"(?:(?:{_ERA}\d{{1,4}}|\d{{3,4}})年(?:代)?(?:底|初|末)?(?:\d{{1,2}}月)?(?:\d{{1,2}}日)?|(?:去年|今年|明年)?\d{{1,2}}月(?:\d{{1,2}}日)?(?:底|初)?"
    rf"|{_ERA}?(?:\d{{1,2}}|[一二三四五六七八九十]{{1,3}})世纪(?:初|末|中叶|初期|中期|末期|早期|晚期|上半叶|下半叶)?|[春夏秋冬]季"
    rf"|{_BARE_YEAR}|\b\d{{1,2}}(?:st|nd|rd|th) century\b"
    r"|(?:january|february|march|april|may|june|july|august|september|october|november|december)(?: \d{1,2}(?!\d),?)?(?: \d{4})?)"
)
_AMOUNT = r"(?:超过|超|逾|约|近|多达|达|共|over |about |around |more than |nearly |almost )?(?:\d[\d,]*(?:\.\d+)?|[一二两三四五六七八九十百千万亿零〇点]+)(?:多|余)?\s?(?:[十百千万亿]+|million|billion|thousand|bn|m\b)?\s?"
# A quantity in the unit a money, area or percentage question asks for; what such a question needs.
_MEASURE = {
    "money": re.compile(
        rf"(?:hk|us|nt|rmb|a|s)?\$\s?{_AMOUNT}|[£€¥￥]\s?{_AMOUNT}|(?:rmb|hkd|usd|eur)\s?{_AMOUNT}"
        rf"|{_AMOUNT}(?:港元|港币|美元|美金|人民币|欧元|英镑|日元|日圆|新台币|台币|元|块钱|dollars?|yuan|rmb|hkd|usd|euros?|pounds?)"),
    "area": re.compile(
        rf"{_AMOUNT}(?:平方公里|平方千米|平方米|平方英里|平方英尺|公顷|英亩|亩|m²|km²|km2|square (?:kilomet|met|mile|feet|foot)\w*|hectares?|acres?)"),
    "percent": re.compile(rf"{_AMOUNT}(?:%|个百分点|percent|per cent|percentage points?)|百分之[\d一二两三四五六七八九十百点.]+"
                          r"|[一二三四五六七八九十]+分之[一二三四五六七八九十]+|\d+/\d+|一半|半数|\bhalf\b"
                          r"|(?<![一二两三四五六七八九十])[一二两三四五六七八九]成(?:多|半)?(?![为立功员果本长绩就熟交])"),
}
# Question words, to find where a question's answer sits (``question_slot``).
_WH = re.compile(r"[什甚]么|哪一?(?:个|些|位|家|年|里|儿|种|国|天|所|间|部|本|首|条|支|座|类|项|次|场|届|款|名|方面|时期|时候|人)?|谁|多少|几"
                 r"|何(?:时|地|处|人|种|者|在)?|怎样|如何|为何|为什么")
_CLAUSE_END = re.compile(r"[，。；：！？,;:!?\n]")
_YEAR = re.compile(rf"{_ERA}?\d{{1,4}}年(?:代)?|{_BARE_YEAR}")
_YEAR_OR_DATE = re.compile(r"(?:19|20)\d{2}年|\d{1,2}月|\d{1,2}日")
_POS = {"person": ("nr",), "place": ("ns",), "org": ("nt",)}
# Common surnames (Simplified): jieba sometimes tags only the given name of a three-character name.
_SURNAMES = frozenset("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_ORG_SUFFIX = re.compile(r"(?:局|院|部|署|会|公司|大学|集团|银行|中心|政府|办|委员会|研究院|机构|协会|学会|分行|分局|贸发局)$")
_TITLE = re.compile(r"[《〈]([^》〉]{1,40})[》〉]|[“\"]([^”\"]{1,60})[”\"]")
_SENTENCE_OPENERS = frozenset("despite however after before during although while since because following meanwhile "
                               "later but if once until though as among both each all some most other such so yet thus "
                               "still even only also".split())
_NAME_DOTS = ("·", "・", "•")
_LATIN_NAME = re.compile(r"\b[A-Z][\w&.'-]*(?:\s+(?:of\s+|the\s+|and\s+)?[A-Z][\w&.'-]*)*")


def question_type(question: str) -> str | None:
    """What kind of short answer the question wants (a name from ``_QUESTION_TYPES``: date, number,
    person, work, language…), or None for a free phrase, answered with the whole sentence."""
    q = normalize(question)
    for kind, pattern in _QUESTION_TYPES:
        if re.search(pattern, q):
            return kind
    return None


def candidate_spans(sentence: str, kind: str | None) -> list[Span]:
    """Spans of ``sentence`` that could answer a question of ``kind`` (offsets into ``sentence``)."""
    norm = normalize(sentence)
    if kind == "date":
        return [m.span() for m in _DATE.finditer(norm)]
    if kind == "year":  # the year of a date (1261年 of 1261年8月15日)
        return [(m.start() + y.start(), m.start() + y.end()) for m in _DATE.finditer(norm) if (y := _YEAR.search(m.group()))]
    if kind == "month":
        return [m.span() for m in _DATE.finditer(norm) if "月" in m.group() or m.group()[:1] in ascii_lowercase]
    if kind in _HEADED:  # a word with the kind's ending (梵语 for a language), or a word and that ending (野马 队)
        ends, spans, offset, previous = _HEADED[kind][2], [], 0, ""
        for word in jieba.cut(norm):
            if word[-1] in ends and (len(word) > 1 or (len(previous) > 1 and is_chinese(previous))):
                spans.append((offset - (len(previous) if len(word) == 1 else 0), offset + len(word)))
            offset, previous = offset + len(word), word
        return spans
    if kind == "work":  # a title: inside 《》 or 〈〉, or quoted in English
        return [m.span(1) if m.group(1) is not None else m.span(2) for m in _TITLE.finditer(norm)]
    if kind in _MEASURE:
        return [(m.start(), m.end() - (len(m.group()) - len(m.group().rstrip()))) for m in _MEASURE[kind].finditer(norm)]
    if kind == "number":  # a quantity, not a year or a date
        return [m.span() for m in _NUMBER.finditer(norm)
                if re.search(r"[\d一二两三四五六七八九十百千万亿]", m.group()) and not _YEAR_OR_DATE.match(norm, m.start())]
    if kind in _POS:
        spans, offset, words = [], 0, []
        for word, flag in jieba.posseg.cut(norm):
            if flag.startswith(_POS[kind]) or (kind == "org" and len(word) > 2 and _ORG_SUFFIX.search(word)):
                start = offset - 1 if kind == "person" and len(word) == 2 and norm[offset - 1 : offset] in _SURNAMES else offset
                spans.append((max(start, 0), offset + len(word)))
            words.append((offset, offset + len(word)))
            offset += len(word)
        spans += [_name_span(m) for m in _LATIN_NAME.finditer(sentence) if kind != "place" or len(m.group()) > 2]
        if kind == "person":  # a foreign name in Chinese: the words either side of a middle dot (卡万·肖特)
            spans += [(words[i - 1][0], words[i + 1][1]) for i in range(1, len(words) - 1)
                      if norm[words[i][0] : words[i][1]] in _NAME_DOTS and is_chinese(norm[words[i - 1][0] : words[i + 1][1]])]
        return _merge_adjacent(sorted(spans), norm)
    return []


def _name_span(match: re.Match) -> Span:
    """A capitalised run as a name: without a leading function word that only starts the sentence
    ("Then Anderson", "Despite Manning"), a possessive ending ("Darwin's") or a closing full stop."""
    start, end, text = match.start(), match.end(), match.group()
    first = text.split(maxsplit=1)
    if len(first) == 2 and (first[0].lower() in STOPWORDS or first[0].lower() in _SENTENCE_OPENERS):
        start += len(text) - len(first[1])
    end -= len(text) - len(text.rstrip(".,"))
    if text.rstrip(".,").endswith(("'s", "’s")):
        end -= 2
    return start, end


def _merge_adjacent(spans: list[Span], text: str) -> list[Span]:
    """Join spans that touch or are separated only by 和/及/、 (so "深港政府" or "A和B" stay whole)."""
    merged: list[Span] = []
    for s, e in spans:
        if merged and (s <= merged[-1][1] or text[merged[-1][1] : s] in ("和", "及", "与", "、")):
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


@dataclass(frozen=True)
class Answer:
    """The outcome of a question: an extractive answer with its citation, or an abstention."""

    question: str
    language: str
    found: bool
    hits: list[Hit]
    text: str = ""
    sentence: str = ""
    citation: int = 0
    confidence: float = 0.0
    message: str = ""
    sentence_spans: tuple[Span, ...] = field(default=())
    text_spans: tuple[Span, ...] = field(default=())


def score_sentences(query: Query, hits: Sequence[Hit], encoder: Encoder | None, index: Index, passages: int,
                    kind: str | None) -> list[Candidate]:
    """Every sentence of the first ``passages`` hits, best first by the hand-set rule.

    Score: idf-weighted coverage of the question (the sentence's, plus a share of its passage's and
    heading's), the encoder's cosine similarity, the passage's fused score relative to the best, and
    whether the sentence holds a span of the ``kind`` the question asks for (``question_type``). Without
    an ``encoder`` the sentences are not encoded (the learned selection does not need it) and their
    similarity is that of the stored window starting at them.
    """
    weights = query.weights(index.bm25)
    found: list[tuple[Hit, int, Sentence, float, float]] = []
    for hit in hits[:passages]:
        context_cover = coverage(weights, token_holder(tokens(hit.passage.search_text())))
        for number, s in enumerate(split_sentences(hit.passage.text)):
            found.append((hit, number, s, coverage(weights, token_holder(tokens(s.text))), context_cover))
    if not found:
        return []
    windows = {h.row: index.window_vectors(h.row) @ query.vector for h in hits[:passages]}
    window_similarity = [float(windows[h.row][min(n, len(windows[h.row]) - 1)]) if len(windows[h.row]) else 0.0
                         for h, n, _, _, _ in found]
    similarity = (encoder.encode_passages([s.text for _, _, s, _, _ in found]) @ query.vector if encoder is not None
                  else window_similarity)
    top = max(h.score for h in hits[:passages]) or 1.0
    out = []
    for (hit, number, s, sentence_cover, context_cover), sim, window in zip(found, similarity, window_similarity):
        spans = len(candidate_spans(s.text, kind)) if kind is not None else 0
        cover = 0.7 * sentence_cover + 0.3 * context_cover
        typed = 0.0 if kind is None else (0.2 if spans else -0.2)
        score = cover + float(sim) + 0.3 * hit.score / top + typed
        out.append(Candidate(hit, s.start, s.end, cover, float(sim), score, spans > 0, sentence_cover, context_cover,
                             window, pair_share(query.pairs, normalize(s.text)), spans, number))
    return sorted(out, key=lambda c: -c.score)


def answer_candidates(query: Query, hits: Sequence[Hit], encoder: Encoder | None, index: Index, passages: int,
                      kind: str | None) -> list[Candidate]:
    """The sentences that may answer (``score_sentences``): for a question asking for a sum of money, an
    area or a share, only those stating one in that unit."""
    candidates = score_sentences(query, hits, encoder, index, passages, kind)
    return [c for c in candidates if c.holds_kind] if kind in _MEASURE else candidates


def question_slot(question: str, sentence: str) -> Span | None:
    """Where a Chinese sentence says what the question asks, as a question is often its sentence with
    the answer swapped for 什麼/哪/誰: from the end of the sentence's match of the last character pair
    before the question word that it holds, to the start of its first match of a pair after it (or the
    clause's end); from the clause's start when no pair before it matches. None without a question
    word, a match, or within 40 characters of one clause."""
    q, norm = normalize(question).rstrip("？?。！!呢吗 "), normalize(sentence)
    wh = _WH.search(q)
    if not wh:
        return None
    before, after = q[: wh.start()], q[wh.end() :]
    start = next((norm.find(p) + 2 for p in _pairs(before)[::-1] if p in norm), None)
    end = next((j for p in _pairs(after) if (j := norm.find(p, start or 0)) >= 0), None)
    if start is None and end is None:
        return None
    if start is None:
        start = max((m.end() for m in _CLAUSE_END.finditer(norm, 0, end)), default=0)
    if end is None:
        clause = _CLAUSE_END.search(norm, start)
        end = clause.start() if clause else len(norm)
    return (start, end) if 0 < end - start <= 40 and not _CLAUSE_END.search(norm, start, end) else None


def _pairs(text: str) -> list[str]:
    """The neighbouring character pairs of ``text`` without punctuation, in order."""
    return [text[i : i + 2] for i in range(len(text) - 1) if text[i : i + 2].isalnum()]


def best_span(sentence: str, question: str, kind: str | None, words: set[str]) -> Span | None:
    """The candidate span of the right kind that the question does not already contain: one in the
    question's slot (``question_slot``) when there is one, nearest its start; otherwise the one nearest
    to the question's ``words`` (its tokens and their translations), the first one when none is."""
    q_norm = normalize(question)
    spans = [(s, e) for s, e in candidate_spans(sentence, kind) if normalize(sentence[s:e]) not in q_norm]
    if not spans:
        return None
    slot = question_slot(question, sentence)
    in_slot = [sp for sp in spans if slot and sp[0] < slot[1] and sp[1] > slot[0]]
    if in_slot:
        return min(in_slot, key=lambda sp: abs(sp[0] - slot[0]))
    norm = normalize(sentence)
    anchors = [m.span() for t in words if len(t) > 1 for m in re.finditer(re.escape(t), norm)]

    def gaps(span: Span) -> list[int]:
        """Characters between the span and each question word outside it, nearest first."""
        outside = [a for a in anchors if a[1] <= span[0] or a[0] >= span[1]]
        return sorted(span[0] - a[1] if a[1] <= span[0] else a[0] - span[1] for a in outside) or [len(norm)]

    return min(spans, key=lambda span: gaps(span)[:2])


def confidence(candidate: Candidate, cross_lingual: bool) -> float:
    """How sure we are that the sentence answers: in one language, how much of the question it covers;
    across languages, where coverage rests on dictionary translations, half that and half the encoder's
    similarity."""
    if cross_lingual:
        return 0.5 * candidate.coverage + 0.5 * candidate.similarity
    return candidate.coverage


def choose(candidates: list[Candidate], language: str, kind: str | None, settings: Settings
           ) -> tuple[list[Candidate], float, bool]:
    """The candidates best first, the confidence that the first one answers, and whether that is enough
    to answer: by the learned models (``settings.selection == "learned"``) or by the hand-set rule."""
    if settings.selection == "learned":
        model = load_selection()
        ranked, scores = model.rank(candidates, language, kind)
        conf = model.answer_probability(ranked, scores, language, kind)
        return ranked, conf, conf >= model.threshold(ranked[0], language)
    best = candidates[0]
    cross = language.startswith("zh") != is_chinese(best.text)
    conf = confidence(best, cross)
    return candidates, conf, conf >= (settings.abstain_threshold_cross if cross else settings.abstain_threshold)


def read_span(reader: SpanReader, query: Query, best: Candidate) -> Span | None:
    """The reader's span inside the chosen sentence (offsets into it): the reader reads the sentence's
    whole passage but answers from that sentence, so it never changes the sentence (letting its span pick
    the sentence lost a third of DRCD's answer sentences); None when it finds no span there."""
    span = reader.best(query.text, [best.hit.passage.text], within=[(best.start, best.end)])
    return None if span is None else (span.start - best.start, span.end - best.start)


def extract(query: Query, hits: list[Hit], encoder: Encoder, index: Index, settings: Settings,
            reader: SpanReader | None = None) -> Answer:
    """The answer to ``query`` from ``hits``: a sentence, a span if the question asks for one, or abstention.
    Whether the articles answer at all is decided on the best-scored sentence; a ``reader``, when given,
    then picks the span inside it."""
    language = query.language
    abstain = Answer(query.text, language, False, hits, message=NOT_FOUND[language])
    kind = question_type(query.written)
    learned = settings.selection == "learned"
    candidates = answer_candidates(query, hits, None if learned else encoder, index, settings.answer_passages, kind)
    if not candidates:
        return abstain
    candidates, conf, enough = choose(candidates, language, kind, settings)
    best = candidates[0]
    if not enough:
        return Answer(query.text, language, False, hits, confidence=conf, message=NOT_FOUND[language])
    span = read_span(reader, query, best) if reader is not None else None
    if span is None:
        words = set(query.tokens) | {t for senses in query.translations(index.bm25).values() for t in senses}
        span = best_span(best.text, query.written, kind, words)
    passage = best.hit.passage
    text_start, text_end = (best.start + span[0], best.start + span[1]) if span else (best.start, best.end)
    return Answer(
        question=query.text,
        language=language,
        found=True,
        hits=hits,
        text=passage.text[text_start:text_end],
        sentence=best.text,
        citation=best.hit.rank,
        confidence=conf,
        sentence_spans=passage.source_spans(best.start, best.end),
        text_spans=passage.source_spans(text_start, text_end),
    )
