"""``python -m bot ask --jsonl`` with a conversation's ``history`` on each line, over the seed index."""

from __future__ import annotations

import json


def test_each_jsonl_line_may_carry_the_earlier_questions(seed_index, tmp_path, capsys):
    from bot.__main__ import main

    lines = tmp_path / "conversation.jsonl"
    lines.write_text("\n".join(json.dumps(record, ensure_ascii=False) for record in [
        {"id": "t1", "question": "香港科學園深圳分園進駐了多少家企業？"},
        {"id": "t2", "question": "它何時開園？", "history": ["香港科學園深圳分園進駐了多少家企業？"]},
        {"id": "t3", "question": "它何時開園？", "history": "not a list"},
    ]) + "\n", encoding="utf-8")
    assert main(["ask", "--index", str(seed_index), "--jsonl", str(lines)]) == 1  # t3 failed
    first, second, third = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["understood"] == first["question"] and first["answer"]["text"] == "40家"
    assert second["question"] == "它何時開園？" and second["understood"] == "香港科學園深圳分園何時開園？"
    assert second["answer"]["text"] == "2023年9月"
    assert third == {"id": "t3", "error": 'line 3: "history" must be an array of the earlier questions (strings), '
                                          "oldest first"}


def test_the_json_keeps_the_quote_as_written_and_adds_it_in_the_questions_script(seed_bot, seed_text):
    out = seed_bot.followup_json("香港科学园深圳分园是什么时候开园的？")
    answer = out["answer"]
    assert "".join(seed_text[s:e] for s, e in answer["sentence_spans"]) == answer["sentence"]  # Traditional
    assert len(answer["sentence_shown"]) == len(answer["sentence"])
    assert "香港科学园深圳分园" in answer["sentence_shown"]
    assert all(len(p["text_shown"]) == len(p["text"]) for p in out["passages"] if "text_shown" in p)
    assert "sentence_shown" not in seed_bot.followup_json("香港科學園深圳分園何時開園？")["answer"]
