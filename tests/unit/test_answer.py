"""Question types, candidate spans and span choice: the pure parts of extractive answering."""

from __future__ import annotations

import pytest

from bot.answer import best_span, candidate_spans, question_slot, question_type


@pytest.mark.parametrize("question, kind", [
    ("香港科學園深圳分園是甚麼時候開園的？", "date"),
    ("香港科学园深圳分园是什么时候开园的？", "date"),
    ("When did the Shenzhen branch open?", "date"),
    ("國務院是在哪一年哪一月印發規劃的？", "month"),
    ("In which month and year was the institute established?", "month"),
    ("香港科學園深圳分園進駐了多少家企業？", "number"),
    ("每天有幾班往返？", "number"),
    ("How many labs has it set up?", "number"),
    ("港科大深港協同創新研究院的執行總監是誰？", "person"),
    ("Who is the executive director?", "person"),
    ("劉振韜是從香港哪區的家出發？", "place"),
    ("Where did he move his office from?", "place"),
    ("規劃是由哪個機構印發的？", "org"),
    ("Which body issued the plan?", "org"),
    ("劉振韜認為現在的河套已逐步成為甚麼？", None),
    ("跨境巴士的車費是多少？", "money"),
    ("山半導體去年的營業額是多少？", "money"),
    ("How much funding did the government grant?", "money"),
    ("What was the company's revenue last year?", "money"),
    ("合作區的總面積是多少平方公里？", "area"),
    ("What is the total land area of the zone?", "area"),
    ("港企佔多少比例？", "percent"),
    ("What percentage of the firms come from Hong Kong?", "percent"),
    ("How much time does he save?", "number"),
    ("What factors affect the price?", None),
    ("哪一家報紙是目前唯一使用梵語的？", "work"),
    ("他寫了甚麼小說？", "work"),
    ("Which newspaper published the report?", "work"),
    ("誰寫了這本書？", "person"),
    ("他在哪一年出生？", "year"),
    ("In what year did the park open?", "year"),
    ("印歐語系因為哪一門語言而被發現？", "language"),
    ("What language is spoken there?", "language"),
    ("哪支球隊贏得冠軍？", "team"),
    ("Which dynasty built the wall?", "dynasty"),
])
def test_question_type(question: str, kind: str | None) -> None:
    assert question_type(question) == kind


def spans_text(sentence: str, kind: str) -> list[str]:
    return [sentence[s:e] for s, e in candidate_spans(sentence, kind)]


def test_number_spans_keep_units_and_approximations_but_not_years() -> None:
    sentence = "香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構，涵蓋7大範疇。"
    assert spans_text(sentence, "number") == ["40家", "7"]
    assert spans_text("累計PCT國際專利申請量超1700件。", "number") == ["超1700件"]
    assert spans_text("匯聚1.5萬餘名科技科研人才", "number") == ["1.5萬餘名"]
    # "about" and "or more" change the quantity and stay; "as many as" and "in total" do not, and go
    assert spans_text("約2.8%來自私營企業，共873人，達58個，50家以上，分為三個月，第18趟", "number") == [
        "約2.8%", "873人", "58個", "50家以上", "三個月", "18趟"]
    assert "3" in spans_text("It opened on March 3, 2021.", "number")  # not "3," with the date's comma


def test_money_area_and_percent_spans_need_their_unit() -> None:
    sentence = "估計將投資逾10億元，創造數以千計的就業，園區佔地3.89平方公里，港企佔12%。"
    assert spans_text(sentence, "money") == ["逾10億元"]
    assert spans_text(sentence, "area") == ["3.89平方公里"]
    assert spans_text(sentence, "percent") == ["12%"]
    assert spans_text("The fund raised HK$2.3 billion, about 300 million dollars.", "money") == [
        "HK$2.3 billion", "about 300 million dollars"]
    assert spans_text("四分之三的土地是平原，百分之五十是森林", "percent") == ["四分之三", "百分之五十"]
    assert spans_text("約三成港企計劃擴張，七成多受訪者表示滿意，已成為樞紐", "percent") == ["三成", "七成多"]
    assert spans_text("每日開通三班直通巴士，已進駐40家企業。", "money") == []


def test_work_spans_are_titles_without_their_brackets() -> None:
    assert spans_text("唯一採用梵語的日報《蘇達爾摩》在印度邁索爾出版，另見〈梵語文學〉一文。", "work") == ["蘇達爾摩", "梵語文學"]
    assert spans_text('He wrote "The Old Man and the Sea" in 1951.', "work") == ["The Old Man and the Sea"]
    assert spans_text("河套合作區推進和落地高端科研項目超過160個。", "work") == []


def test_headed_kinds_are_words_with_the_telling_ending() -> None:
    sentence = "在歐洲，梵語的學術研究由拉丁文學者開創，唐朝時傳入，野馬隊獲得冠軍。"
    assert spans_text(sentence, "language") == ["梵語", "拉丁文"]
    assert spans_text(sentence, "dynasty") == ["唐朝"]
    assert spans_text(sentence, "team") == ["野馬隊"]
    assert spans_text(sentence, "religion") == []


def test_date_and_month_spans() -> None:
    sentence = "2023年8月，國務院印發規劃，並提出到2035年將其打造為科研樞紐。"
    assert spans_text(sentence, "date") == ["2023年8月", "2035年"]
    assert spans_text(sentence, "month") == ["2023年8月"]
    history = "自19世紀晚期，燈塔創建於西元1872年，公元前221年秦統一，每到秋季舉辦，三年後完工。"
    assert spans_text(history, "date") == ["19世紀晚期", "西元1872年", "公元前221年", "秋季"]  # not the duration
    assert spans_text(history, "month") == []
    english = "It opened in March 2020, on May 3, 2021, after the 19th century; 1650 saw the first settlers."
    assert spans_text(english, "date") == ["March 2020", "May 3, 2021", "19th century", "1650"]
    assert spans_text(english, "month") == ["March 2020", "May 3, 2021"]
    assert spans_text("燈塔創建於西元1872年8月15日，2023年9月開園，19世紀晚期。", "year") == ["西元1872年", "2023年"]
    assert spans_text(english, "year") == ["2020", "2021", "1650"]


def test_person_spans_keep_the_surname() -> None:
    assert "高凌雲" in spans_text("港科大深港協同創新研究院執行總監高凌雲介紹。", "person")


def test_an_english_name_leaves_out_sentence_openers_possessives_and_full_stops() -> None:
    sentence = "Despite Manning's problems, Then Anderson scored, as Charles Darwin's theory says, in New York."
    assert spans_text(sentence, "person") == ["Manning", "Anderson", "Charles Darwin", "New York"]


def test_a_foreign_name_in_chinese_is_one_person_span_across_its_middle_dots() -> None:
    sentence = "職業碗防守截鋒卡萬·肖特以 11 分領先於全隊，而喬治·華盛頓·卡佛是教授。"
    names = spans_text(sentence, "person")
    assert "卡萬·肖特" in names and "喬治·華盛頓·卡佛" in names
    assert not any("截鋒" in n or "以" in n for n in names)  # the words beside the name stay out
    assert spans_text("數據·智能論壇在深圳舉行", "place") == spans_text("數據智能論壇在深圳舉行", "place")


def test_question_slot_is_where_the_sentence_puts_what_the_question_asks() -> None:
    sentence = "《戰國無雙3》（）是由光榮和ω-force開發的戰國無雙系列的正統第三續作。"
    slot = question_slot("《戰國無雙3》是由哪兩個公司合作開發的？", sentence)
    assert slot is not None and sentence[slot[0] : slot[1]] == "光榮和ω-force"
    assert question_slot("Which companies developed it?", sentence) is None  # no Chinese question word
    assert question_slot("颱風在哪個季節最多？", sentence) is None  # no pair of the question in the sentence


def test_best_span_prefers_the_candidate_in_the_question_slot() -> None:
    sentence = "1990年，中國於1946年承認外蒙古獨立。"
    # 1990年 sits nearer the question word 中国, but 1946年 fills the slot before 承認
    assert best_span(sentence, "中國於何時承認外蒙古獨立？", "date", {"中国"}) == (9, 14)
    assert best_span(sentence, "When did China recognise it?", "date", set()) == (0, 5)  # no slot: the first


def test_best_span_is_the_candidate_nearest_the_question_words() -> None:
    sentence = "今年是《粵港澳大灣區發展規劃綱要》發布5周年，也是香港回歸祖國27周年。"
    words = {"香港", "回归", "祖国", "周年"}
    span = best_span(sentence, "今年是香港回歸祖國多少周年？", "number", words)
    assert span is not None and sentence[span[0] : span[1]] == "27周年"


def test_best_span_skips_what_the_question_already_says() -> None:
    sentence = "香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構。"
    span = best_span(sentence, "2023年9月開園的分園進駐了多少家企業？", "number", {"进驻", "企业"})
    assert sentence[span[0] : span[1]] == "40家"
    assert best_span(sentence, "分園何時開園？", "person", {"开园"}) is None
