"""Writes the generated fixtures of tests/data/formats: two PDF press releases and a scanned one, a Word draft,
and the Big5 and GBK web pages (written here as text, saved in the charset they declare).

    .venv/bin/pip install fpdf2   # only for this script; the tests read the files it wrote
    .venv/bin/python tests/data/formats/make_fixtures.py

The Chinese PDF embeds a subset of Debian's WenQuanYi Micro Hei (`apt-get install fonts-wqy-microhei`), a
TrueType font, so it is written as most office software writes one (Identity-H glyph codes with a ToUnicode
map). The output is fixed (no time from the clock), so running the script again rewrites the same files.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
WHEN = datetime.datetime(2025, 3, 12, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

# The English release, page by page: ("title" | "heading" | "text", lines as they break on the page).
# Line ends are where the layout broke the text: "collec-" / "tion" is a word hyphenated at a line end,
# and the last sentence of page 2 goes on at the top of page 3.
RELEASE_EN = [
    [("title", ["Harbourfront Library to open on 28 March"]),
     ("text", ["Hong Kong, 12 March 2025"]),
     ("text", ["The Lei Wan Harbourfront Library will open to the public on 28 March 2025. Its",
               "collection of about 230,000 books, magazines and recordings is the largest of any",
               "public library in the district, and its reading rooms look out over the harbour."]),
     ("text", ["Each reader card may borrow up to 12 items at a time for 21 days. The children's",
               "library on the first floor holds a separate collec-",
               "tion of 40,000 picture books and early readers."])],
    [("heading", ["Opening hours and services"]),
     ("text", ["The library will open from 9 am to 10 pm every day except the first three public",
               "holidays of the Lunar New Year. A lecture hall on the fifth floor seats 120 people",
               "and can be booked by community groups free of charge."]),
     ("text", ["A self-service kiosk at the MTR exit lends and returns books around the clock.",
               "The library will also lend e-readers to"])],
    [("text", ["residents aged over 65, who may keep one for four weeks."]),
     ("heading", ["Media enquiries"]),
     ("text", ["Ms Carol Ho, Senior Librarian, telephone 2345 6789."])],
]
HEADER_EN = "Lei Wan Harbourfront Library | Press Release"

# The Chinese release: lines break inside sentences, as Chinese typesetting does, every 32 characters.
RELEASE_ZH = [
    [("title", ["鯉灣海濱圖書館開幕安排"]),
     ("text", ["康樂及文化事務署今日公布，鯉灣海濱圖書館開幕典禮將於二〇二五年三月二十八",
               "日上午十時在圖書館地下大堂舉行，由署長主持。典禮後，首批五百名入館市民可獲贈",
               "紀念書簽一張。"]),
     ("text", ["開幕首月，圖書館將舉辦二十場閱讀活動，包括作家分享會、親子故事時間及古籍修",
               "復工作坊，市民可於網上預約參加，每人每場限報兩個名額。"])],
    [("heading", ["交通安排"]),
     ("text", ["開幕當日，鯉灣碼頭至圖書館將有免費穿梭巴士，每十五分鐘一班，由上午九時半",
               "至下午一時開出。"])],
]
HEADER_ZH = "康樂及文化事務署　新聞公報"


def release_pdf(pages: list, header: str, footer: str, chinese: bool, title: str, author: str) -> bytes:
    """A press release laid out line by line as given (so the line breaks are the ones written above), with
    a running header and a page number on every page."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_creation_date(WHEN)
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("tests/data/formats/make_fixtures.py")
    if chinese:
        pdf.add_font("cjk", fname=str(CJK_FONT))
    family = "cjk" if chinese else "Helvetica"
    for number, blocks in enumerate(pages, 1):
        pdf.add_page()
        pdf.set_font(family, size=9)
        pdf.text(56, 40, header)
        pdf.text(270, 810, footer.format(page=number, pages=len(pages)))
        y = 100.0
        for kind, lines in blocks:
            size = {"title": 20, "heading": 14, "text": 11}[kind]
            pdf.set_font(family, size=size)
            for line in lines:
                pdf.text(56, y, line)
                y += size * 1.45
            y += size * 1.4  # the gap that ends a paragraph
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A one-page PDF holding only a picture of a page (what a scanner makes): no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    picture = Image.new("L", (420, 594), 255)
    draw = ImageDraw.Draw(picture)
    for row in range(40, 560, 18):  # grey bars where the lines of text would be
        draw.rectangle((40, row, 380 - (row * 7) % 90, row + 8), fill=90)
    png = io.BytesIO()
    picture.save(png, format="PNG")
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_creation_date(WHEN)
    pdf.add_page()
    pdf.image(io.BytesIO(png.getvalue()), x=0, y=0, w=595, h=842)
    return bytes(pdf.output())


def word_draft(path: Path) -> None:
    """A Word draft of a press release: a title, headings, paragraphs (one with a line break), a bulleted
    list and a table of figures."""
    import docx

    document = docx.Document()
    properties = document.core_properties
    properties.title, properties.author = "鯉灣海濱圖書館服務概覽（草稿）", "康文署新聞組"
    properties.created = properties.modified = WHEN.replace(tzinfo=None)
    properties.last_modified_by = properties.author
    properties.revision = 1
    document.add_heading("鯉灣海濱圖書館服務概覽", level=0)
    document.add_paragraph("本稿供傳媒參考，數字以開幕當日公布者為準。")
    document.add_heading("借閱服務", level=1)
    document.add_paragraph("每張讀者證可同時借閱最多十二項資料，借期為二十一天，可於網上續借兩次。")
    lines = document.add_paragraph("逾期歸還的資料，每項每天罰款一元五角，")
    lines.add_run().add_break()
    lines.add_run("兒童讀者證則豁免罰款。")
    document.add_heading("設施", level=1)
    for item in ("自修室設座位三百個，須預約使用。", "演講廳可容納一百二十人。", "頂層設有露天閱讀平台。"):
        document.add_paragraph(item, style="List Bullet")
    document.add_heading("館藏", level=2)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "類別", "數量（項）"
    for kind, count in (("中文圖書", "150,000"), ("英文圖書", "62,000"), ("期刊及多媒體資料", "18,000")):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = kind, count
    document.add_paragraph("館藏總數約二十三萬項，開幕後三年內將增至三十萬項。")
    saved = io.BytesIO()
    document.save(saved)
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for entry in source.infolist():  # the same bytes every time: no clock in the zip's entries
            fixed = zipfile.ZipInfo(entry.filename, date_time=WHEN.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(fixed, source.read(entry))


BIG5_PAGE = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=big5">
<title>渡輪夜航服務五月恢復 - 鯉灣日報 - 港聞</title>
<meta name="author" content="李志明">
<script language="javascript">document.write("<b>今日天氣：晴</b>"); window.__big5_script_ran = 1;</script>
</head>
<body bgcolor="#ffffff">
<table width="960" border="0" cellpadding="0" cellspacing="0">
<tr><td colspan="3"><img src="/images/logo.gif" alt="鯉灣日報"></td></tr>
<tr><td colspan="3" class="menu"><a href="/">首頁</a> | <a href="/news">港聞</a> | <a href="/fin">經濟</a> | <a href="/sports">體育</a> | <a href="/fea">副刊</a></td></tr>
<tr>
<td width="160" valign="top" class="left">
<p><b>新聞分類</b></p>
<p><a href="/news">港聞</a><br><a href="/china">中國</a><br><a href="/world">國際</a><br><a href="/archive">新聞檔案</a></p>
</td>
<td width="600" valign="top" class="content">
<h1>渡輪夜航服務五月恢復</h1>
<p><font size="2" color="#666666">2025年4月2日　記者：李志明</font></p>
<p>　　巴灣渡輪公司宣布，鯉灣碼頭往中環的夜航渡輪服務將於五月六日恢復，首班船於晚上十一時四十分開出，尾班船凌晨一時十分開出，每三十分鐘一班。</p>
<p>　　成人單程船費為九元八角，長者及小童半價，與日間船費相同。公司預計首年每晚平均載客約一千五百人次，</p>
<p>如需求增加，將增設第三艘渡輪。</p>
<p>　　有夜班工人表示：「我哋等咗好多年，終於有船返屋企嘅。」</p>
</td>
<td width="200" valign="top" class="right">
<p><b>熱門新聞</b></p>
<p><a href="/n/1">港鐵新綫明年通車</a><br><a href="/n/2">天文台發出強烈季候風信號</a></p>
<p><a href="/ad/3"><img src="/ad/banner.gif" alt="廣告"></a></p>
</td>
</tr>
<tr><td colspan="3" class="footer"><p>鯉灣日報版權所有，不得轉載　Copyright &copy; 2025 Lei Wan Daily. All rights reserved.</p></td></tr>
</table>
</body>
</html>
"""

GBK_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="gb2312">
<title>海滨图书馆三月底开放 藏书约二十三万册_新闻中心_鲤湾网</title>
<meta name="keywords" content="图书馆,鲤湾">
<meta name="description" content="鲤湾海滨图书馆将于3月28日开放。">
<meta property="og:site_name" content="鲤湾网">
<script type="text/javascript">var _czc = _czc || []; window.__gbk_script_ran = 1;</script>
</head>
<body>
<div class="top-bar"><a href="/">网站首页</a> <a href="/news">新闻中心</a> <a href="/tv">视频</a> <a href="/app">下载客户端</a></div>
<div class="w1000">
  <div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/news">新闻中心</a> &gt; 正文</div>
  <div class="article">
    <h1>海滨图书馆三月底开放 藏书约二十三万册</h1>
    <div class="info">2025-03-12 10:20　来源：鲤湾网　作者：王喆</div>
    <div class="article-content">
      <p>鲤湾海滨图书馆将于3月28日正式开放，藏书约二十三万册，是区内规模最大的公共图书馆。</p>
      <p>图书馆楼高五层，设有儿童图书馆、自修室和可容纳120人的多功能演讲厅，每天开放时间为上午九时至晚上十时。</p>
      <p>据介绍，图书馆总建筑费约四亿二千万元，2021年动工，比原定计划提前四个月完工。</p>
    </div>
    <div class="editor">（责任编辑：张丽）</div>
    <div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a> <a href="#">QQ空间</a></div>
    <div class="page-nav"><a href="/news/1.html">上一篇：公共图书馆推出夜读计划</a> <a href="/news/3.html">下一篇：本地出版业销售额下降</a></div>
  </div>
  <div class="xgyd"><h3>相关阅读</h3><ul><li><a href="/a">文化节目预算增加一成</a></li><li><a href="/b">读书月活动下月开幕</a></li></ul></div>
  <div class="comment-box"><h3>网友评论</h3><p>期待开馆！</p><p>希望停车位多一些。</p></div>
</div>
<div class="footer">关于我们 | 联系方式 | 广告服务 | 版权声明<br>Copyright &copy; 2025 鲤湾网 版权所有</div>
</body>
</html>
"""


def main() -> None:
    pages_en = [[(k, lines) for k, lines in page] for page in RELEASE_EN]
    (HERE / "release_en.pdf").write_bytes(release_pdf(pages_en, HEADER_EN, "Page {page} of {pages}", False,
                                                      "Harbourfront Library to open on 28 March",
                                                      "Leisure and Cultural Services Department"))
    (HERE / "release_zh.pdf").write_bytes(release_pdf(RELEASE_ZH, HEADER_ZH, "第 {page} 頁，共 {pages} 頁", True,
                                                      "鯉灣海濱圖書館開幕安排", "康樂及文化事務署"))
    (HERE / "scanned.pdf").write_bytes(scanned_pdf())
    word_draft(HERE / "draft_zh.docx")
    (HERE / "ferry_big5.html").write_bytes(BIG5_PAGE.encode("big5hkscs"))
    (HERE / "library_gbk.html").write_bytes(GBK_PAGE.encode("gbk"))
    for name in ("release_en.pdf", "release_zh.pdf", "scanned.pdf", "draft_zh.docx", "ferry_big5.html",
                 "library_gbk.html"):
        print(f"{name}: {(HERE / name).stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
