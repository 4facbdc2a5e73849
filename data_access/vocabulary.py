"""The app's one vocabulary: topics, categories, roles, KPI keys and the Chinese labels of codes.

Pure constants: no SQL and no imports, so every layer (data_access, layouts, callbacks,
dashboard, services) can read it without pulling anything else in. The codes themselves are
the shared database's contract (`schema.py`, docs/schema.md); tests/test_imports.py checks that
the label maps here name exactly those codes.
"""
from __future__ import annotations

# --- appeals (诉求) ---------------------------------------------------------------

# Topics of an appeal, as the source systems, the text model and the demo data name them.
TOPICS = ("邻里纠纷", "劳资纠纷", "土地山林", "环境污染", "噪音扰民", "城建市容",
          "道路交通", "社会保障", "教育医疗", "治安", "其他")
OTHER_TOPIC = "其他"
UNCLASSIFIED_TOPIC = "未分类"  # an appeal with no stored topic and no text to read one from

# appeal.channel -> label, in schema.CHANNELS order
CHANNEL_NAMES = {"hotline_12345": "12345热线", "wechat": "微信群", "visit": "来访",
                 "letter": "来信", "online": "网上"}

# --- incidents (事件) -------------------------------------------------------------

INCIDENT_CATEGORIES = ("矛盾纠纷", "治安隐患", "安全生产", "消防安全", "环境卫生",
                       "道路交通", "民生服务", "城建市容", "群体性事件", "其他")

# incident.source -> label (来源), in schema.SOURCES order
SOURCE_NAMES = {"patrol": "巡查上报", "hotline_12345": "12345热线", "police_110": "110警情",
                "mediation": "矛调中心", "wechat": "微信群", "department": "部门移交"}

# incident.status -> label, in schema.STATUSES order
INCIDENT_STATUS_NAMES = {"reported": "已上报", "dispatched": "已吹哨", "in_progress": "处置中",
                         "resolved": "已处置", "closed": "已办结"}

# incident.handling_level -> label, in schema.HANDLING_LEVELS order
HANDLING_LEVEL_NAMES = {"grid": "一格解决", "township": "乡镇", "county": "县区", "city": "市级（全网联动）"}

# incident.severity -> label
SEVERITY_NAMES = {1: "轻微", 2: "一般", 3: "较重", 4: "重大"}

# --- people -----------------------------------------------------------------------

# Dashboard accounts (schema.ROLES) plus kiosk screens, which hold tokens rather than accounts.
ACCOUNT_ROLE_NAMES = {"leader": "领导", "duty_officer": "值班员", "analyst": "分析员", "admin": "管理员",
                      "kiosk": "大屏"}

# grid_worker.role -> label, in schema.WORKER_ROLES order (docs/schema.md)
WORKER_ROLE_NAMES = {"grid_leader": "网格长", "full_time": "专职网格员", "part_time": "兼职网格员",
                     "liaison_cadre": "包联干部", "first_grid_leader": "第一网格长"}

# --- warnings (预警) --------------------------------------------------------------

# the national four-colour scale, worst first (schema.WARNING_LEVELS)
WARNING_LEVEL_NAMES = {"red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝"}
# warning.rule -> label (data_access/warnings.RULES)
WARNING_RULE_NAMES = {
    "overdue": "事件超期", "major": "重大/群体性事件", "surge": "事件激增", "blind_spot": "巡查盲区",
    "visit": "重点人员漏访", "repeat": "重复诉求", "barometer": "晴雨表骤降", "emergency": "战时状态",
    "source_silent": "数据源中断",
}
# A silent feed (warnings.rule_source_silent) -> label; incident sources and appeal channels
# are named by FEED_NAMES[kind] + the source's own label.
FEED_NAMES = {"patrol": "网格巡查", "visit": "重点人员走访", "incident": "事件上报", "appeal": "诉求受理"}
# warning.status -> label on the duty desk (schema.WARNING_STATUSES)
WARNING_STATUS_NAMES = {"new": "待确认", "acknowledged": "已确认", "assigned": "已指派", "resolved": "已办结",
                        "dismissed": "已驳回"}
# warning_action.action -> label
WARNING_ACTION_NAMES = {"raise": "系统预警", "upgrade": "条件加重", "escalate": "升级上报", "reopen": "重新打开",
                        "auto_resolve": "自动解除", "acknowledge": "确认", "assign": "指派", "resolve": "办结",
                        "dismiss": "驳回", "downgrade": "条件减轻", "members": "成员变化",
                        "silence": "静默", "unsilence": "解除静默"}

# --- KPIs (docs/metrics.md) -------------------------------------------------------

# The headline set: the overview's cards and the summary API's keys, in display order.
HEADLINE = ("incidents_today", "closed_today", "clearance_rate_today", "open_incidents",
            "overdue_incidents", "patrol_coverage_today", "visit_on_time_rate",
            "appeals_today", "negative_share_today", "satisfaction_30d",
            "active_warnings", "barometer_index")
# Cards only some views show.
VIEW_KPIS = ("patrols_today", "blind_spot_grids", "key_persons_overdue")
KPI_KEYS = HEADLINE + VIEW_KPIS

# The subsets the views show.
INCIDENT_KPIS = ("incidents_today", "closed_today", "clearance_rate_today", "open_incidents", "overdue_incidents")
APPEAL_KPIS = ("appeals_today", "negative_share_today", "satisfaction_30d", "barometer_index")

# One label, one definition (docs/metrics.md): the text every card, map, ranking, API reader and
# briefing row uses for a KPI. A figure with another definition gets another label.
KPI_LABELS = {
    "incidents_today": "今日事件", "closed_today": "今日办结", "clearance_rate_today": "日清零率",
    "open_incidents": "在办事件", "overdue_incidents": "超期事件", "patrol_coverage_today": "今日巡查覆盖",
    "visit_on_time_rate": "重点人员走访及时率", "appeals_today": "今日诉求",
    "negative_share_today": "负面情绪占比", "satisfaction_30d": "30日满意度", "active_warnings": "在办预警",
    "barometer_index": "晴雨表指数",
    "patrols_today": "今日巡查次数", "blind_spot_grids": "盲区网格（≥3天未巡）",
    "key_persons_overdue": "逾期未访重点人员",
}
# The barometer's parts and absolute figures (metrics.barometer's keys), shown beside the index,
# and the /opinion view's readings that include sentiments read from text (not metrics' figures,
# hence their own labels).
BAROMETER_LABELS = {
    "volume_score": "诉求量得分", "mood_score": "情绪得分", "satisfaction_score": "满意度得分",
    "appeals_per_day_7d": "近7日日均诉求", "appeals_per_day_28d": "前28日日均诉求",
    "volume_ratio": "诉求量倍数（近7日÷前28日）",
    "negative_share_7d": "近7日负面情绪占比", "negative_share_28d": "前28日负面情绪占比",
}
WITH_TEXT_LABELS = {"barometer_index": "晴雨表指数（含文本识别）"}
