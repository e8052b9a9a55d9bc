"""bot.order: a claim about which of two events came first, split into the events in the order the claim
gives them, and dates compared at the precision both give."""

from __future__ import annotations

import pytest

from bot.numbers import Date
from bot.order import compare, split


@pytest.mark.parametrize("claim, earlier, later, word", [
    ("國務院印發發展規劃之後，香港科學園深圳分園才開園。", "國務院印發發展規劃", "香港科學園深圳分園才開園", "之後，"),
    ("香港科技大學研究院在框架協議簽署之前已經成立。", "香港科技大學研究院已經成立", "框架協議簽署", "之前"),
    ("深圳分园在直通巴士专线开通之后才开园。", "直通巴士专线开通", "深圳分园开园", "之后"),
    ("先簽署框架協議，後印發發展規劃。", "簽署框架協議", "印發發展規劃", "後"),
    ("「河套金融服務日」活動早於簽署合作備忘錄。", "「河套金融服務日」活動", "簽署合作備忘錄", "早於"),
    ("The Shenzhen branch opened before the State Council issued the plan.", "The Shenzhen branch opened",
     "the State Council issued the plan", "before"),
    ("Liu formed his team only after the branch opened.", "the branch opened", "Liu formed his team", "only after"),
])
def test_split_gives_the_events_in_the_claimed_order(claim, earlier, later, word):
    found = split(claim)
    assert found is not None
    assert (found.earlier, found.later) == (earlier, later)
    assert claim[found.word[0] : found.word[1]] == word


@pytest.mark.parametrize("claim", ["香港科學園深圳分園已進駐40家香港企業。", "The branch opened in September 2023.", "之後"])
def test_a_claim_without_two_ordered_events_is_none(claim):
    assert split(claim) is None


def _date(year, month=None, day=None) -> Date:
    return Date(year, month, day, 0, 0, "")


def test_dates_compare_at_the_precision_both_give():
    assert compare(_date(2019), _date(2020, 5)) == -1
    assert compare(_date(2023, 9), _date(2023, 8)) == 1
    assert compare(_date(2023, 9, 1), _date(2023, 9, 1)) == 0
    assert compare(_date(2023), _date(2023, 9)) is None
