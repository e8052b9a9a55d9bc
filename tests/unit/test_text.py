"""bot.text: length-preserving normalisation, language detection, sentence splitting, search tokens."""

from __future__ import annotations

import pytest

from bot.text import detect_language, fold_spaces, normalize, split_sentences, tokens

# Sentences of the seed article (Traditional, as printed) and their Simplified forms, converted by hand.
SEED_PAIRS = [
    ("河套合作區有望成為大灣區新質生產力源泉", "河套合作区有望成为大湾区新质生产力源泉"),
    ("香港科學園深圳分園2023年9月開園，已進駐40家香港企業和機構",
     "香港科学园深圳分园2023年9月开园，已进驻40家香港企业和机构"),
    ("河套合作區推進和落地高端科研項目超過160個，匯聚8個世界500強企業研發中心",
     "河套合作区推进和落地高端科研项目超过160个，汇聚8个世界500强企业研发中心"),
    ("至2023年底，有126間醫療健康及生物科技公司可在港上市，集資額2766億港元。",
     "至2023年底，有126间医疗健康及生物科技公司可在港上市，集资额2766亿港元。"),
    ("劉振韜自己則受益於河套深港科技創新合作區「一號通道」的開通",
     "刘振韬自己则受益于河套深港科技创新合作区「一号通道」的开通"),
    ("2023年8月，國務院印發《河套深港科技創新合作區深圳園區發展規劃》",
     "2023年8月，国务院印发《河套深港科技创新合作区深圳园区发展规划》"),
    ("隨着深港合作向更高水平邁進，越來越多香港高校科研團隊扎根河套合作區。",
     "随着深港合作向更高水平迈进，越来越多香港高校科研团队扎根河套合作区。"),
]
PAIR_IDS = [f"seed-{i}" for i in range(len(SEED_PAIRS))]


# --- normalize -------------------------------------------------------------------------------------

@pytest.mark.parametrize("traditional, simplified", SEED_PAIRS, ids=PAIR_IDS)
def test_normalize_maps_traditional_to_simplified_character_for_character(traditional, simplified):
    expected = simplified.replace("，", ",")  # the full-width comma folds to a half-width one too
    assert normalize(traditional) == expected
    assert normalize(simplified) == expected


def test_normalize_folds_full_width_to_half_width_and_lower_cases():
    assert normalize("２０３５年") == "2035年"
    assert normalize("ＨＫ＄５，ＣＥＯ") == "hk$5,ceo"
    assert normalize("Ａ\u3000Ｂ") == "a b"  # the ideographic space becomes a plain one
    assert normalize("The U.S. FDA") == "the u.s. fda"


def test_normalize_keeps_length_so_offsets_carry_over(seed_text):
    normal = normalize(seed_text)
    assert len(normal) == len(seed_text)
    # an offset found in the normalised text points at the same word in the original
    at = normal.index("集资额2766亿港元")
    assert seed_text[at : at + len("集資額2766億港元")] == "集資額2766億港元"
    # a character whose lower case is two characters (İ → i̇) must not shift anything
    assert len(normalize("İSTANBUL 河套")) == len("İSTANBUL 河套")
    assert normalize("İSTANBUL 河套").endswith("河套")


# --- tokens ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("traditional, simplified", SEED_PAIRS, ids=PAIR_IDS)
def test_tokens_identical_for_traditional_and_simplified(traditional, simplified):
    trad = tokens(traditional)
    assert trad, "a real sentence has tokens"
    assert trad == tokens(simplified)


def test_tokens_are_simplified_words_without_stop_words_or_punctuation():
    words = tokens("河套合作區有望成為大灣區新質生產力源泉")
    assert {"河套", "合作", "有望", "源泉"} <= set(words)
    assert all(not set(w) & set("區為灣質產") for w in words), words  # no Traditional character survives
    words = tokens("「我們有自主研發的技術，現在最需要解決的是資金問題。」")
    assert "的" not in words and "是" not in words
    assert not any(set(w) & set("「」，。") for w in words)


@pytest.mark.parametrize(
    "text, number",
    [
        ("並提出到2035年將其打造為「世界級的科研樞紐」的目標", "2035"),
        ("累計PCT國際專利申請量超1700件。", "1700"),
        ("集資額2766億港元。", "2766"),
        ("raised HK$2,766 million last year", "2766"),
        ("1.5萬餘名科技科研人才", "1.5"),
        ("fares rose 1.5 per cent", "1.5"),
        ("the population reached 1,234,567 people", "1234567"),
    ],
)
def test_numbers_stay_whole(text, number):
    assert number in tokens(text)


def test_numbers_are_not_split_into_digits_or_joined_to_neighbours():
    words = tokens("2035年")
    assert words[0] == "2035" and "2" not in words and "035" not in words
    assert tokens("２０３５年") == words  # full-width digits are the same number
    assert tokens("第2,3條") == ["第", "2", "3", "条"]  # a comma before fewer than three digits is a list


def test_english_is_lower_cased_with_stop_words_dropped():
    assert tokens("The Star Ferry has carried passengers across Victoria Harbour since 1888.") == [
        "star", "ferry", "has", "carried", "passengers", "across", "victoria", "harbour", "since", "1888"
    ]
    assert tokens("STAR ferry") == tokens("star FERRY") == ["star", "ferry"]


def test_latin_words_keep_accents_and_commas_between_words_split():
    assert tokens("Zürich café José") == ["zürich", "café", "josé"]
    # a full-width comma between Latin words (common in Chinese text) folds to "," and must split them
    assert tokens("美國FDA，CFDA等") == ["美国", "fda", "cfda", "等"]
    assert tokens("ＡＢＣ，ｄｅｆ") == ["abc", "def"]


# --- detect_language -------------------------------------------------------------------------------

@pytest.mark.parametrize("traditional, simplified", SEED_PAIRS, ids=PAIR_IDS)
def test_detect_language_tells_the_chinese_scripts_apart(traditional, simplified):
    assert detect_language(traditional) == "zh-Hant"
    assert detect_language(simplified) == "zh-Hans"


@pytest.mark.parametrize(
    "text, language",
    [
        ("河套合作區在哪裏？", "zh-Hant"),
        ("河套合作区在哪里？", "zh-Hans"),
        ("When did the Star Ferry start?", "en"),
        ("How much did 126 companies raise in Hong Kong (香港)?", "en"),
        ("山半導體CEO劉振韜表示", "zh-Hant"),
        ("深圳地铁于2004年12月28日开通", "zh-Hans"),
        ("香港", "zh-Hant"),  # no character tells the scripts apart: Traditional, as the seed is Hong Kong's
    ],
)
def test_detect_language(text, language):
    assert detect_language(text) == language


def test_detect_language_of_the_seed_article(seed_text):
    assert detect_language(seed_text) == "zh-Hant"
    assert detect_language(normalize(seed_text)) == "zh-Hans"


# --- split_sentences -------------------------------------------------------------------------------

def _texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_split_chinese_sentences_keeps_closing_quotes():
    text = "「比以前節約了一個小時！」據了解，「一號通道」便利進出車輛審批權已下放深圳。他說：「好嗎？」是的。"
    assert _texts(text) == [
        "「比以前節約了一個小時！」",
        "據了解，「一號通道」便利進出車輛審批權已下放深圳。",
        "他說：「好嗎？」",
        "是的。",
    ]


def test_split_english_sentences_not_at_abbreviations_or_decimals():
    text = "Mr. Lau moved his team to the U.S. office in 2019. Sales grew 1.5 times! Did it last? He said \"Yes.\" Then left."
    assert _texts(text) == [
        "Mr. Lau moved his team to the U.S. office in 2019.",
        "Sales grew 1.5 times!",
        "Did it last?",
        'He said "Yes."',
        "Then left.",
    ]


def test_blank_line_ends_a_sentence_but_a_single_line_break_does_not():
    text = "Harbour ferry\n\nA crossing takes\nnine minutes\n\n  \n維港夜景\n\n表演長約十分鐘"
    assert _texts(text) == ["Harbour ferry", "A crossing takes\nnine minutes", "維港夜景", "表演長約十分鐘"]


def test_sentence_offsets_slice_the_input_and_lose_no_text(seed_text):
    sentences = split_sentences(seed_text)
    assert len(sentences) > 60
    for s in sentences:
        assert seed_text[s.start : s.end] == s.text
        assert s.text == s.text.strip()
    assert [s.start for s in sentences] == sorted(s.start for s in sentences)
    assert all(a.end <= b.start for a, b in zip(sentences, sentences[1:]))
    # only white space falls between sentences
    assert "".join("".join(s.text for s in sentences).split()) == "".join(seed_text.split())


def test_split_nothing():
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []


def test_fold_spaces():
    assert fold_spaces("  open to\ntraffic \n\n next year ") == "open to traffic next year"


def test_char_bigrams_pair_each_run_of_chinese_and_fold_scripts():
    from bot.text import char_bigrams
    # Traditional and Simplified give the same pairs; Latin words and punctuation are left to the word field
    assert char_bigrams("科學園 深 Park，開園") == ["科学", "学园", "深", "开园"]
    assert char_bigrams("科学园") == char_bigrams("科學園")
    assert char_bigrams("HKUST 2023") == []
