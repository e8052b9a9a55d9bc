"""Compares the web page reader (trafilatura, bot/formats/webpage.py) with the hand-written one it replaced (the
HTMLParser of bot/corpus.py at commit fc43e35) on the news pages of this folder, against what each page's
article is (its paragraphs, headline, author, date, site name) and the furniture around it.

    .venv/bin/python tests/data/formats/compare_html.py      # from the repository, with git and its history

Per page: body = share of the article's paragraphs found whole in the text read; noise = share of the text
read that is not the article; furniture = how many of the page's furniture strings got in; title = whether
the title is the headline alone; meta = how many of author, date and site name were read. The README quotes
the table it prints.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OLD = "fc43e35"  # the last commit with the hand-written reader

# What each page's article is: its paragraphs, headline and metadata, and furniture that is not the article.
PAGES = {
    "portal_zh.html": {
        "body": ["康樂及文化事務署轄下的鯉灣海濱圖書館將於本月28日正式開放，館藏約二十三萬冊，是區內規模最大的公共圖書館。",
                 "新館樓高五層，設有兒童圖書館、自修室及一個可容納120人的多用途演講廳，",
                 "每日開放時間為上午九時至晚上十時。", "署方發言人表示，新館總建築費約為四億二千萬元，",
                 "自2021年動工，工程比原定計劃提早四個月完成。", "發言人又指，開幕首月將舉辦二十場閱讀活動，市民可於網上預約參加。"],
        "title": "鯉灣海濱圖書館月底開放 館藏逾二十三萬冊", "meta": {"author": "陳嘉欣", "date": "2025-03-12", "source": "港聞網"},
        "furniture": ["首頁", "分享", "WhatsApp", "廣告", "信用卡", "相關新聞", "公共圖書館推夜讀計劃", "讀者留言", "書蟲阿明",
                      "熱門排行", "樓價連升", "版權所有", "私隱政策", "搜尋", "標籤"],
    },
    "feature_en.html": {
        "body": ["A late service between Lei Wan Pier and Central resumes in May.",  # the standfirst
                 "A night ferry service between Lei Wan Pier and Central will resume on 6 May, eight years after the last "
                 "late sailing was withdrawn for lack of passengers.",
                 "The operator, Bayline Ferries, said the first boat would leave Lei Wan at 11.40pm and the last at 1.10am, "
                 "with a crossing every 30 minutes.",
                 "Fares will be HK$9.80 for adults and HK$4.90 for children and older people,",
                 "the same as the daytime fare on the route.",
                 "Why now", "The company expects about 1,500 passengers a night in the first year.",
                 "It plans to add a third boat if demand grows.",
                 "\"Night workers have asked for this for years,\" said the company's managing director, Peter Lam."],
        "title": "Night ferries return to the harbour after eight years",
        "meta": {"author": "Alice Wong", "date": "2025-04-02", "source": "Harbour Times"},
        "furniture": ["cookies", "Subscribe", "Share on", "newsletter", "Advertisement", "Mortgage", "Read more",
                      "Five bus routes", "ferryfan", "All rights reserved", "Topics:", "Opinion"],
    },
    "ferry_big5.html": {
        "body": ["巴灣渡輪公司宣布，鯉灣碼頭往中環的夜航渡輪服務將於五月六日恢復，首班船於晚上十一時四十分開出，尾班船凌晨一時十分開出，"
                 "每三十分鐘一班。", "成人單程船費為九元八角，長者及小童半價，與日間船費相同。公司預計首年每晚平均載客約一千五百人次，",
                 "如需求增加，將增設第三艘渡輪。", "有夜班工人表示：「我哋等咗好多年，終於有船返屋企嘅。」"],
        "title": "渡輪夜航服務五月恢復", "meta": {"author": "李志明", "date": "2025-04-02"},
        "furniture": ["新聞分類", "新聞檔案", "熱門新聞", "港鐵新綫", "副刊", "版權所有", "經濟"],
    },
    "library_gbk.html": {
        "body": ["鲤湾海滨图书馆将于3月28日正式开放，藏书约二十三万册，是区内规模最大的公共图书馆。",
                 "图书馆楼高五层，设有儿童图书馆、自修室和可容纳120人的多功能演讲厅，每天开放时间为上午九时至晚上十时。",
                 "据介绍，图书馆总建筑费约四亿二千万元，2021年动工，比原定计划提前四个月完工。"],
        "title": "海滨图书馆三月底开放 藏书约二十三万册", "meta": {"author": "王喆", "date": "2025-03-12", "source": "鲤湾网"},
        "furniture": ["网站首页", "当前位置", "分享到", "上一篇", "下一篇", "相关阅读", "网友评论", "期待开馆", "责任编辑",
                      "Copyright"],
    },
}


def old_reader() -> types.ModuleType:
    """bot/corpus.py as it was at ``OLD``, loaded as a module of the bot package (its decoding and HTMLParser)."""
    source = subprocess.run(["git", "show", f"{OLD}:bot/corpus.py"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    module = types.ModuleType("bot._corpus_before_trafilatura")
    module.__package__ = "bot"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{OLD}:bot/corpus.py", "exec"), module.__dict__)
    return module


def squeeze(text: str) -> str:
    return "".join(text.split())


def score(text: str, title: str, meta: dict[str, str], page: dict) -> dict:
    """The measures of one reading of one page (see the module's docstring)."""
    flat = squeeze(text)
    found = [p for p in page["body"] if squeeze(p) in flat]
    article = sum(len(squeeze(p)) for p in found) + len(squeeze(title)) * (squeeze(title) in flat)
    return {"body": len(found) / len(page["body"]), "noise": max(0.0, 1 - article / len(flat)) if flat else 0.0,
            "furniture": sum(f in text for f in page["furniture"]), "of": len(page["furniture"]),
            "title": title == page["title"], "meta": sum(meta.get(k) == v for k, v in page["meta"].items()),
            "fields": len(page["meta"])}


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from bot.corpus import read_file

    old = old_reader()
    work = Path(tempfile.mkdtemp())  # read copies: the reader keeps its text beside the file it reads
    print("| page | reader | body | noise | furniture | title is the headline | author, date, site |")
    print("|---|---|---|---|---|---|---|")
    totals: dict[str, list[dict]] = {"before (HTMLParser)": [], "trafilatura": []}
    for name, page in PAGES.items():
        path = Path(shutil.copy(HERE / name, work / name))
        text, _ = old.decode_file(path)
        old_title, old_text = old.html_to_text(text)
        [article] = read_file(path, work)
        for reader, result in (("before (HTMLParser)", score(old_text, old_title, {}, page)),
                               ("trafilatura", score(article.text, article.title, article.meta(), page))):
            totals[reader].append(result)
            print(f"| {name} | {reader} | {result['body']:.0%} | {result['noise']:.0%} | "
                  f"{result['furniture']} of {result['of']} | {'yes' if result['title'] else 'no'} | "
                  f"{result['meta']} of {result['fields']} |")
    for reader, results in totals.items():
        print(f"| all {len(results)} pages | {reader} | {sum(r['body'] for r in results) / len(results):.0%} | "
              f"{sum(r['noise'] for r in results) / len(results):.0%} | {sum(r['furniture'] for r in results)} of "
              f"{sum(r['of'] for r in results)} | {sum(r['title'] for r in results)} of {len(results)} | "
              f"{sum(r['meta'] for r in results)} of {sum(r['fields'] for r in results)} |")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
