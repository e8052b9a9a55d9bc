"""bot.settings: every setting is checked when a Settings is made, and a bad one is a SettingsError naming the
setting, the value and what is allowed, from Python, the command line and ``python -m eval --set``."""

from __future__ import annotations

import dataclasses

import pytest

from bot.__main__ import main
from bot.errors import SettingsError, WendaError
from bot.settings import ALLOWED, INDEX_FIELDS, MODES, Settings
from eval.__main__ import _settings as eval_settings


def test_the_defaults_construct_and_every_setting_has_its_allowed_values():
    settings = Settings()
    assert set(ALLOWED) == {f.name for f in dataclasses.fields(Settings)}
    assert settings.replace() == settings and settings.replace(k=None, mode=None) == settings
    assert Settings().replace(**settings.index_fields()) == settings  # a manifest's settings load back
    assert set(INDEX_FIELDS) <= set(ALLOWED)


@pytest.mark.parametrize("change, expected", [
    ({"max_passage_chars": 0}, "setting max_passage_chars = 0 is out of range: it must be an integer of at least 1"),
    ({"max_passage_chars": -5}, "setting max_passage_chars = -5 is out of range: it must be an integer of at least 1"),
    ({"max_passage_chars": 40.5}, "setting max_passage_chars = 40.5 is out of range: it must be an integer"),
    ({"dense_window_chars": 0}, "dense_window_chars = 0"),
    ({"k": 0}, "setting k = 0 is out of range: it must be an integer from 1 to 100"),
    ({"k": 101}, "setting k = 101 is out of range: it must be an integer from 1 to 100"),
    ({"k": True}, "setting k = True is out of range"),
    ({"k": "5"}, "setting k = '5' is out of range"),
    ({"mode": "fast"}, "setting mode = 'fast' is not allowed: choose one of " + ", ".join(MODES)),
    ({"selection": "magic"}, "setting selection = 'magic' is not allowed: choose one of rules, learned"),
    ({"bm25_b": 1.5}, "setting bm25_b = 1.5 is out of range: it must be a number from 0 to 1"),
    ({"bm25_k1": -0.1}, "setting bm25_k1 = -0.1 is out of range: it must be a number of at least 0"),
    ({"bm25_k1": float("nan")}, "setting bm25_k1 = nan is out of range"),
    ({"bm25_weight": 2}, "setting bm25_weight = 2 is out of range: it must be a number from 0 to 1"),
    ({"abstain_threshold": -1.0}, "abstain_threshold = -1.0"),
    ({"abstain_threshold_cross": 1.01}, "abstain_threshold_cross = 1.01"),
    ({"evidence_weight": float("inf")}, "evidence_weight = inf"),
    ({"workers": -1}, "setting workers = -1 is out of range: it must be an integer of at least 0"),
    ({"hnsw_m": 1}, "hnsw_m = 1"),
    ({"candidates": 0}, "candidates = 0"),
    ({"encoder": ""}, "setting encoder = '' is not allowed: it must be a non-empty name"),
    ({"reader": None}, "setting reader = None is not allowed: it must be text"),
])
def test_a_bad_value_is_a_settings_error_naming_the_setting_the_value_and_the_range(change, expected):
    with pytest.raises(SettingsError) as caught:
        Settings(**change)
    assert expected in str(caught.value)
    assert isinstance(caught.value, WendaError)
    if None not in change.values():  # replace() leaves None out, as an option not given
        with pytest.raises(SettingsError):
            Settings().replace(**change)


@pytest.mark.parametrize("change", [
    {"k": 1}, {"k": 100}, {"bm25_b": 0}, {"bm25_b": 1.0}, {"bm25_k1": 0}, {"workers": 0}, {"exact_search_limit": 0},
    {"evidence_weight": 0.0}, {"evidence_depth": 0}, {"rrf_k": 0}, {"bm25_weight": 1}, {"max_passage_chars": 1},
    {"reranker": "st:/models/x"}, {"reader": ""}, {"mode": "bm25"}, {"selection": "learned"},
])
def test_values_at_the_ends_of_each_range_are_allowed(change):
    assert dataclasses.asdict(Settings(**change)).items() >= change.items()


@pytest.mark.parametrize("value", ["0", "-5"])
def test_index_with_a_bad_max_passage_chars_is_one_error_line(tmp_path, tiny_corpus, capsys, value):
    code = main(["index", "--corpus", str(tiny_corpus), "--index", str(tmp_path / "index"), "--quiet",
                 "--max-passage-chars", value])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"error: setting max_passage_chars = {value} is out of range: it must be an integer of at least 1\n"
    assert not (tmp_path / "index").exists()  # refused before anything was built (-5 said "no text to index")


def test_eval_set_checks_the_value_too():
    with pytest.raises(SettingsError, match="setting bm25_b = 2.0 is out of range"):
        eval_settings(["bm25_b=2"])
    assert eval_settings(["k=7"]).k == 7
