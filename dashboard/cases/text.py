"""What a report says, as a set of words, and how alike two reports are.

Tokens: jieba (the opinion pipeline's segmenter: governance words and the city's place names
as single words), minus the place names (every report of a village names it, so they say
nothing about *which* happening), minus the words a source uses to frame any report (来电,
报警人称, 网格员, 已上报 …) and single characters.

The measure, chosen on the tuning half of tests/data/case_pairs.csv (docs/cases.md):
`similarity` = the overlap coefficient |A ∩ B| / min(|A|, |B|) of the two titles' tokens. A
title says what happened in a few words every source uses for the event (停水, 渣土车抛洒泥沙);
the descriptions differ by teller (who noticed, when, how many) and were measured as weaker
(whole-text overlap and Jaccard, character bigrams). Overlap rather than Jaccard: a 110 title
"报警称X" and a grid title "某镇某村X" share all of the shorter one's words. Among candidates
the whole text's overlap breaks ties (`rank`). Two reports
that name different spots (桥头 / 老街) or different persons (韦某 / 覃某) are not one happening
whatever their words (`conflict`): the hardest negatives of the labelled set are the same
kind of event in the same village, told in the same template words.
"""
from __future__ import annotations

import functools
import os
import re

from dashboard.opinion_text.segment import Segmenter, csv_places

# Words any report may carry whatever happened: the sources' framing, the routine follow-up
# sentences, and function words. Removing them keeps the score about the happening.
FRAMING = frozenset("""
市民 来电 来电人 反映 热线 工单 转办 致电 群众 居民 住户 村民 报警 报警人 接警 警情 指挥中心 转来 接报
网格 网格员 网格群 微信群 小区群 群里 发消息 随手拍 上报 核实 到场 现场 了解 了解到 巡查 日常 走访 入户 发现
视频 监控发现 村委会 居委会 报告 平台 录入 推送 跟进 联系 部门 相关 职能部门 移交 线索 矛调中心 受理 当事人
已 已经 将 并 及时 尽快 安排 处理 处置 情况 问题 存在 一带 附近 周边 一处 一个 一名 一家 有人 称 说 今日 今天
上午 下午 今晨 中午 傍晚 昨晚 昨日 凌晨 当晚 左右 近日 近期 目前 后续 进一步 持续 跟踪 回访 督促 整改 拍照
取证 留存 街道 社区 村 镇 乡 片区 辖区 本 该 这 那 其 有 在 和 与 及 等 了 的 是 也 都 还 又 就 被 把 对 从 到 向
""".split())
_NUMBER_ONLY = re.compile(r"^[0-9.]+$")
# Spots inside a village or community that reports name (read from the demo's texts and the
# usual wording of grid reports); a longer one wins over a shorter one inside it (村道边 > 村道).
SPOT_WORDS = tuple("""
小区门口 小区路口 市场旁 菜市场后面 菜市场路段 主路边 主干道 老街 桥头 学校后面 学校门口 出租屋集中区 巷子里
安置小区 商业街 村口 屯里 屯口 村道边 村道 村委旁 晒谷场边 圩场边 圩场路段 镇区主街 环城路 进村路口 国道边 乡道
""".split())
_PERSON = re.compile(r"[\u4e00-\u9fff]某")


def particulars(text: str) -> tuple[frozenset, frozenset]:
    """(spots, persons) a report names: 桥头, 韦某."""
    text = text or ""
    spots = {w for w in SPOT_WORDS if w in text}
    spots = {w for w in spots if not any(w != o and w in o for o in spots)}
    return frozenset(spots), frozenset(_PERSON.findall(text))


def conflict(a: str, b: str) -> bool:
    """Both name a spot (or a person) and share none: two happenings."""
    for x, y in zip(particulars(a), particulars(b)):
        if x and y and not (x & y):
            return True
    return False


class CaseText:
    """Tokens and similarity of incident texts; built once per process (~2 s: jieba's dictionary)."""

    def __init__(self, places=None):
        self.segmenter = Segmenter(csv_places() if places is None else places)
        self.places = self.segmenter.places
        self.tokens = functools.lru_cache(maxsize=100_000)(self._tokens)

    def _tokens(self, text: str) -> frozenset:
        out = set()
        for t in self.segmenter.cut(text or ""):
            if len(t) < 2 or t in FRAMING or t in self.places or _NUMBER_ONLY.match(t):
                continue
            out.add(t)
        return frozenset(out)

    def report_tokens(self, title: str | None, description: str | None) -> frozenset:
        return self.tokens((title or "") + "。" + (description or ""))

    def similarity(self, a_title, a_description, b_title, b_description) -> float:
        """The chosen measure (0–1): the overlap of the titles' tokens."""
        return round(overlap(self.tokens(a_title or ""), self.tokens(b_title or "")), 4)

    def whole_text(self, a_title, a_description, b_title, b_description) -> float:
        """The overlap of the whole texts' tokens (a tie-break between candidates; measured as a
        measure of its own on the tuning half)."""
        return round(overlap(self.report_tokens(a_title, a_description), self.report_tokens(b_title, b_description)), 4)


# A pair whose titles share fewer character bigrams than this (after their common beginning, the
# place both name) is not compared by tokens: on the labelled pairs every title pair with token
# overlap >= 0.95 has a bigram overlap >= 0.65, and segmenting titles with jieba is most of the
# linker's cost (docs/cases.md "Cost").
PREFILTER = 0.4


@functools.lru_cache(maxsize=200_000)
def _bigrams(title: str) -> frozenset:
    return frozenset(title[i:i + 2] for i in range(len(title) - 1))


def near(a_title: str | None, b_title: str | None) -> bool:
    """The titles' character-bigram overlap reaches PREFILTER (a cheap necessary check). Their
    common beginning (西山镇莲塘社区…, shared by most reports of a village) is left out; a title
    that is all common beginning is near."""
    a, b = a_title or "", b_title or ""
    n = len(os.path.commonprefix([a, b]))
    x, y = _bigrams(a[n:]), _bigrams(b[n:])
    return not x or not y or overlap(x, y) >= PREFILTER


def overlap(a: frozenset, b: frozenset) -> float:
    """The chosen measure: |A ∩ B| / min(|A|, |B|); 0 when either is empty."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def jaccard(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def dice(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def bigram_jaccard(x: str, y: str) -> float:
    """Character bigrams of the raw texts (no segmentation): a baseline the tuning compares."""
    a = {x[i:i + 2] for i in range(len(x) - 1)}
    b = {y[i:i + 2] for i in range(len(y) - 1)}
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


MEASURES = {"overlap": overlap, "jaccard": jaccard, "dice": dice}


@functools.lru_cache(maxsize=1)
def default() -> CaseText:
    """The model over the demo city's place names (one per process)."""
    return CaseText()
