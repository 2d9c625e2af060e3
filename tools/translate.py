"""Add translations to the zh catalogue (run by hand): extracts strings, merges, fills from a table.

    .venv/bin/python tools/translate.py            # reports strings still missing a translation
Add pairs to NEW below, run again; tests/test_i18n.py fails while any string is untranslated.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "src/academichub/locale/zh/LC_MESSAGES/messages.po"
METHODS = [("**/web/templates/**.html", "jinja2"), ("**.py", "python")]
NEW: dict[str, str] = {
    "No stored paper matches “{value}” yet: its papers will be shown as they arrive.":
        "目前没有已收录的论文匹配“{value}”：有匹配的论文到达后会显示出来。",
    "The papers here are in English: follow the English terms of your topic too.":
        "这里的论文是英文的：请同时关注你的主题的英文术语。",
    "“{value}” names several authors: follow them one at a time.": "“{value}”包含多位作者：请逐一关注。",
    "My radar": "我的雷达", "Date": "日期", "Title": "标题", "Why shown": "推荐理由",
    ". ": "。", "An arXiv id, a DOI or a PMID, or its link, finds its paper.": "输入 arXiv 编号、DOI 或 PMID（或其链接）可直接找到该论文。",
    "Any source": "所有来源", "Journal feeds": "期刊订阅源",
    "There is no such source: choose arXiv, bioRxiv, medRxiv, Crossref, journal feeds, OpenAlex or PubMed.":
        "没有这个来源：请选择 arXiv、bioRxiv、medRxiv、Crossref、期刊订阅源、OpenAlex 或 PubMed。",
    "{server} page": "{server} 页面", "Preprint page": "预印本页面", "Publisher's page": "出版方页面",
    "Papers ranked for the radar “{name}”": "为雷达“{name}”排序的论文",
    "book record": "图书记录", "no identifier": "无标识符", "invalid JSON": "无效的 JSON",
    "record without a DOI": "没有 DOI 的记录", "entry without DOI or link": "没有 DOI 或链接的条目",
    "not a work": "不是作品记录", "notice: {kind}": "声明：{kind}", "malformed record: {kind}": "格式错误的记录：{kind}",
    "type: {kind}": "类型：{kind}",
    "Last run: {n} record could not be used ({reasons}).": "上次运行：{n} 条记录无法使用（{reasons}）。",
    "Last run: {n} record left out, as it is not a paper ({reasons}).": "上次运行：略过 {n} 条非论文记录（{reasons}）。",
    "No new papers in the listing of {day}, an announcement day.": "{day} 是发布日，但当日列表中没有新论文。",
    "Nothing new for {days} day (expected within {expected}).": "已有 {days} 天没有新内容（通常 {expected} 天内会有）。",
    "No network": "无网络", "The source did not answer in time": "来源未能及时响应",
    "The source asked us to slow down": "来源要求放慢请求", "The source refused the request": "来源拒绝了请求",
    "The source's server failed": "来源服务器出错", "The answer was too large": "响应过大",
    "The answer could not be read": "无法读取响应", "The source answered with an error": "来源返回了错误",
    "Error": "错误",
    "This radar follows {limit} already: remove some, or make another radar on the account page.":
        "这个雷达已关注 {limit} 项：请删除一些，或在账户页新建一个雷达。",
    "Current password": "当前密码", "New password": "新密码", "New password again": "再次输入新密码",
    "Change password": "修改密码", "The two new passwords differ.": "两次输入的新密码不一致。",
    "The current password is wrong.": "当前密码不正确。",
    "Password changed. Sessions signed out elsewhere: {n}.": "密码已修改。已在其他地方退出登录的会话：{n} 个。",
    "The server could not be reached. Check the connection and try again.": "无法连接服务器。请检查网络连接后重试。",
    "The connection was cut before the briefing was finished. Write it again, or find it under past briefings if it "
    "was finished.": "简报写完之前连接中断了。请重新撰写；若它已写完，可在“往期简报”中找到。",
    "and followed authors' papers of the last {days} days": "另含所关注作者近 {days} 天的论文",
    "Job queue": "任务队列", "Queue": "队列", "Waiting": "等待中", "Retrying": "重试中", "Failed": "失败",
    "Is this {value}?": "是这位 {value} 吗?", "Similar to your saved paper «{value}»": "与你收藏的论文相似«{value}»",
    "Similar to a paper you liked «{value}»": "与你点赞的论文相似«{value}»",
    "Similar to your library paper «{value}»": "与你文献库中的论文相似«{value}»", "Yes": "是", "No": "不是",
    "Feedback": "反馈", "Like": "赞", "Save": "收藏", "Dismiss": "不感兴趣", "Less like this": "减少此类",
    "Undo": "撤销", "Papers like this": "相似论文", "Library": "文献库",
    "Import what you read: its papers teach your radar. Items are matched to stored papers by DOI, arXiv id or "
    "title; the others are learnt from their own title and abstract.":
        "导入你读过的文献，让雷达学习你的兴趣。条目按 DOI、arXiv 编号或标题与已收录论文匹配；未匹配的条目按其自身的标题和摘要学习。",
    "{n} items imported in {s} s": "已导入 {n} 条，用时 {s} 秒", "Matched to stored papers: {n}": "与已收录论文匹配：{n}",
    "Not matched (learnt from their own text): {n}": "未匹配（按其自身文本学习）：{n}", "Skipped: {n}": "跳过：{n}",
    "Library file (BibTeX, RIS, Zotero RDF, CSL-JSON, Better BibTeX JSON)":
        "文献库文件（BibTeX、RIS、Zotero RDF、CSL-JSON、Better BibTeX JSON）",
    "Import": "导入", "Imported": "已导入", "Source": "来源", "Items": "条目", "Matched": "已匹配",
    "Nothing imported yet.": "尚未导入任何文献。", "No similar papers found.": "没有找到相似论文。",
    "Search mode": "检索方式", "Hybrid": "混合", "Full text": "全文", "Semantic": "语义",
    'Syntax: "a phrase", AND, OR, NOT or -word, ( ), title: abstract: author: cat:':
        '语法："短语"、AND、OR、NOT 或 -词、( )、title: abstract: author: cat:',
    "A cross-field analysis of your radar's papers, every statement citing the papers it rests on.":
        "对雷达论文的跨领域分析，每一处论述都注明所依据的论文。",
    "Analyst": "撰写方式", "Briefings": "简报", "Needs an OpenAI-compatible endpoint in the settings":
        "需要在设置中配置 OpenAI 兼容接口", "No briefing yet.": "还没有简报。", "Papers": "论文",
    "Past briefings": "往期简报", "Write briefing": "生成简报", "Write with the LLM": "由大语言模型撰写",
    "Writing …": "正在撰写……", "Written": "生成时间", "papers": "篇论文",
    "Account": "账户", "Browser's choice": "跟随浏览器", "Radars": "雷达", "default": "默认",
    "Private feed URL (shown once; keep it secret):": "私有订阅地址（只显示一次，请妥善保管）：",
    "New RSS/Atom URL": "重新生成 RSS/Atom 地址", "Create RSS/Atom URL": "生成 RSS/Atom 地址",
    "Revoke RSS URL": "作废 RSS 地址", "Delete": "删除", "New radar name": "新雷达名称", "Add radar": "添加雷达",
    "API tokens": "API 令牌",
    "New token (shown once; send it as Authorization: Bearer …):": "新令牌（只显示一次；以 Authorization: Bearer … 发送）：",
    "revoked": "已作废", "Revoke": "作废", "Token name": "令牌名称", "Create token": "创建令牌", "Admin": "管理",
    "Users": "用户", "User name": "用户名", "Errors": "错误", "Job history": "任务记录", "Started": "开始时间",
    "Settings": "设置", "Radar": "雷达", "Sign out": "退出", "Sign in": "登录", "Password": "密码",
    "No account yet? Sign up": "还没有账户？注册", "Sign up": "注册", "Create account": "创建账户",
    "Cite": "引用", "Export this batch": "导出本批", "Saved": "收藏", "References": "参考文献", "Export": "导出",
    "Nothing saved yet: use Save on a card.": "还没有收藏：在卡片上点“收藏”。",
    "Digests and webhooks": "邮件摘要与群机器人",
    "The current radar's top papers and briefing, after each announcement day (or weekly), by e-mail or to a chat group.":
        "当前雷达的精选论文和简报，在每个发布日之后（或每周）通过邮件或群机器人发送。",
    "unsubscribed": "已退订", "failing": "发送失败", "Send a test": "发送测试", "Channel": "渠道", "E-mail": "邮件",
    "E-mail address or webhook URL": "邮箱地址或 Webhook 地址", "Signing secret (Feishu, DingTalk)": "签名密钥（飞书、钉钉）",
    "How often": "频率", "Daily": "每天", "Weekly": "每周", "Unsubscribe": "退订", "Unsubscribed": "已退订",
    "No more digests go to {target}.": "不再向 {target} 发送摘要。",
    "Stop sending this radar's digest to {target}?": "停止向 {target} 发送此雷达的摘要？",
    "A briefing is written after every announcement day.": "每个发布日之后会自动生成一份简报。",
    "Stop the daily briefing": "停止每日简报", "Write one after every announcement day": "每个发布日之后自动生成",
    "an unreadable BibTeX entry": "无法读取的 BibTeX 条目", "a RIS record without its ER line": "缺少 ER 行的 RIS 记录",
    "not an entry": "不是条目", "a field of the wrong type": "字段类型不对", "no title": "没有标题",
    "already in the file": "文件中已有", "a Zotero note": "Zotero 笔记", "a Zotero attachment": "Zotero 附件",
    "a Zotero annotation": "Zotero 批注", "arXiv id": "arXiv 编号", "title": "标题",
    ": ": "：", "not matched, and too short to learn from": "未匹配，且过短，无法从中学习",
    "This radar has no papers in that period: choose another period, or follow more.":
        "该雷达在这个时段没有论文：请换一个时段，或关注更多内容。",
    "Writing with an LLM needs an OpenAI-compatible endpoint in the settings.": "由大语言模型撰写需要在设置中配置 OpenAI 兼容接口。",
    "Briefings are written in Chinese or English.": "简报只能用中文或英文撰写。",
    "A user name is 2 to 63 letters, digits, “.”, “-” or “_”, beginning with a letter or digit.":
        "用户名由 2 到 63 个字母、数字、“.”、“-” 或 “_” 组成，以字母或数字开头。",
    "That user name is taken.": "该用户名已被占用。", "The password needs at least {n} characters.": "密码至少需要 {n} 个字符。",
    "The password is too long (1,000 characters at most).": "密码过长（最多 1,000 个字符）。",
    "Wrong user name or password.": "用户名或密码错误。",
    "Too many sign-in attempts: try again in {seconds} s.": "登录尝试次数过多：请在 {seconds} 秒后重试。",
    "This form has expired: please send it again.": "此表单已过期：请重新提交。", "matched by {how}": "按{how}匹配", "not matched: learnt from its own text": "未匹配：按其自身文本学习", "{before} → {now} of the papers": "占论文 {before} → {now}", " ({items})": "（{items}）", "; ": "；", "{why}: {n}": "{why}：{n}",
}


def main() -> None:
    with PO.open("rb") as handle:
        old = read_po(handle)
    catalog = Catalog(locale="zh", project="AcademicHub", version="0.1.0", fuzzy=False)
    catalog.header_comment = old.header_comment
    missing = []
    for _file, _line, message, _c, _ctx in extract_from_dir(ROOT / "src/academichub", METHODS):
        key = message if isinstance(message, str) else message[0]  # a plural's id is its singular
        if key in catalog:
            continue
        translation = NEW.get(key) or (old.get(key).string if old.get(key) else "")
        if not isinstance(message, str) and isinstance(translation, str):  # Chinese has one plural form
            translation = (translation,)
        if not "".join(translation):
            missing.append(key)
        catalog.add(message, translation)  # a plural keeps both its forms (a singular id with plural forms broke the file)
    written = PO.with_suffix(".tmp")  # renamed into place: a failed write leaves the catalogue as it was
    with written.open("wb") as handle:
        write_po(handle, catalog, sort_output=True, width=100)
    written.replace(PO)
    print(f"{len(catalog)} strings; missing: {missing or 'none'}")


if __name__ == "__main__":
    main()
