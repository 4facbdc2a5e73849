"""The shared governance database: one SQLAlchemy definition for SQLite and PostgreSQL.

`docs/schema.md` is the contract other systems write to; keep the two in step.
Shared tables are written by the grid app, 12345, 110 and mediation (and by our
seed/simulator standing in for them); the dashboard only reads them. Tables
under "dashboard-owned" are the only ones the app writes.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects import sqlite

# SQLite keeps timestamps as text; one fixed format keeps text comparison equal
# to time comparison and lets SQLite's own date functions parse it.
_SQLITE_DATETIME = sqlite.DATETIME(
    storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d",
    regexp=r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)",
)


class UTCDateTime(TypeDecorator):
    """Timestamps are UTC: aware UTC in Python, timestamptz in PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLITE_DATETIME)
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None, microsecond=0) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


metadata = MetaData()

LEVELS = ("city", "county", "township", "village", "grid")
SOURCES = ("patrol", "hotline_12345", "police_110", "mediation", "wechat", "department")
STATUSES = ("reported", "dispatched", "in_progress", "resolved", "closed")
HANDLING_LEVELS = ("grid", "township", "county", "city")
WORKER_ROLES = ("grid_leader", "full_time", "part_time", "liaison_cadre", "first_grid_leader")
CHANNELS = ("hotline_12345", "wechat", "visit", "letter", "online")
from .vocabulary import TOPICS  # noqa: E402,F401 - one list for every layer (data_access/vocabulary.py)


def _ancestors():
    # Fact rows carry every ancestor code so any level's count is one indexed GROUP BY.
    return [
        Column("grid_code", String(15)),
        Column("village_code", String(12)),
        Column("township_code", String(9)),
        Column("county_code", String(6)),
    ]


region = Table(
    "region", metadata,
    Column("code", String(15), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String(8), nullable=False),
    Column("parent_code", String(15)),
    Column("city_code", String(6)),
    Column("county_code", String(6)),
    Column("township_code", String(9)),
    Column("village_code", String(12)),
    Column("is_urban", Boolean, nullable=False, default=False),
    Column("population", Integer),
    Column("households", Integer),
    Column("enterprises", Integer),
    Column("geometry", Text),
    Column("lon", Float),
    Column("lat", Float),
    Index("ix_region_parent", "parent_code"),
    Index("ix_region_level_county", "level", "county_code"),
    Index("ix_region_level_township", "level", "township_code"),
    Index("ix_region_level_village", "level", "village_code"),
)

grid_worker = Table(
    "grid_worker", metadata,
    Column("id", Integer, primary_key=True),
    Column("grid_code", String(15)),
    Column("name", Text),
    Column("role", String(20)),
    Column("phone", String(20)),
    Column("party_member", Boolean),
    Column("active", Boolean, default=True),
    Index("ix_grid_worker_grid", "grid_code"),
)

incident = Table(
    "incident", metadata,
    Column("id", Integer, primary_key=True),
    Column("source_ref", String(40)),
    Column("source", String(20)),
    Column("category", Text),
    Column("severity", SmallInteger),
    Column("title", Text),
    Column("description", Text),
    *_ancestors(),
    Column("lon", Float),
    Column("lat", Float),
    Column("reported_at", UTCDateTime),
    Column("dispatched_at", UTCDateTime),
    Column("arrived_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("sla_due_at", UTCDateTime),
    Column("status", String(12)),
    Column("handling_level", String(10)),
    Column("department", Text),
    Index("ix_incident_reported", "reported_at"),
    Index("ix_incident_county_reported", "county_code", "reported_at"),
    Index("ix_incident_township_reported", "township_code", "reported_at"),
    Index("ix_incident_village_reported", "village_code", "reported_at"),
    Index("ix_incident_grid_reported", "grid_code", "reported_at"),
    Index("ix_incident_source_ref", "source", "source_ref", "id"),
    Index("ix_incident_open", "closed_at"),
    # Open incidents per grid: the scope join walks grids, then (grid_code, closed_at IS NULL).
    Index("ix_incident_grid_open", "grid_code", "closed_at"),
)

patrol = Table(
    "patrol", metadata,
    Column("id", Integer, primary_key=True),
    Column("worker_id", Integer),
    *_ancestors(),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("distance_m", Integer),
    Column("issues_found", Integer),
    Index("ix_patrol_started", "started_at"),
    Index("ix_patrol_grid_started", "grid_code", "started_at"),
    Index("ix_patrol_township_started", "township_code", "started_at"),
)

key_person = Table(
    "key_person", metadata,
    Column("id", Integer, primary_key=True),
    *_ancestors(),
    Column("category", Text),
    Column("risk_level", SmallInteger),
    Column("visit_interval_days", Integer),
    Column("name", Text),
    Column("id_number", String(18)),
    Column("phone", String(20)),
    Index("ix_key_person_grid", "grid_code"),
)

visit = Table(
    "visit", metadata,
    Column("id", Integer, primary_key=True),
    Column("key_person_id", Integer),
    Column("worker_id", Integer),
    Column("visited_at", UTCDateTime),
    Column("outcome", Text),
    Index("ix_visit_person_time", "key_person_id", "visited_at"),
    # The silent-feed rule asks "any visit in the last hour?" every minute (docs/warnings.md, rule 9).
    Index("ix_visit_visited", "visited_at"),
)

appeal = Table(
    "appeal", metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(20)),
    *_ancestors(),
    Column("received_at", UTCDateTime),
    Column("content", Text),
    Column("topic", Text),
    Column("sentiment", Float),
    Column("resolved_at", UTCDateTime),
    Column("satisfaction", SmallInteger),
    Column("citizen_hash", String(64)),
    Index("ix_appeal_received", "received_at"),
    Index("ix_appeal_township_received", "township_code", "received_at"),
    Index("ix_appeal_grid_received", "grid_code", "received_at"),
    # A resident's appeals (一人一档): person.citizen_hash → appeal.citizen_hash.
    Index("ix_appeal_citizen", "citizen_hash"),
)

wechat_group = Table(
    "wechat_group", metadata,
    Column("grid_code", String(15), primary_key=True),
    Column("households_total", Integer),
    Column("households_joined", Integer),
)

grid_state = Table(
    "grid_state", metadata,
    Column("grid_code", String(15), primary_key=True),
    Column("mode", String(10)),
    Column("since", UTCDateTime),
    Column("reason", Text),
    Column("commander_worker_id", Integer),
)

# --- the register: households, residents, enterprises, places, organisations (一户一档 …) ---
# Written by the grid app's register (人、地、物、组织); read by the files (/household/ID, …).
# Tags are one text of Chinese labels separated by "," (the source's own vocabulary).

household = Table(
    "household", metadata,
    Column("id", Integer, primary_key=True),
    *_ancestors(),
    Column("address", Text),  # PII: house number
    Column("members", Integer),  # registered residents; a grid's sum is region.population
    Column("tags", Text),  # 低保户, 独居老人户, 出租屋, 留守家庭, 军属, 五保户
    Column("lon", Float),
    Column("lat", Float),
    Index("ix_household_grid", "grid_code"),
)

person = Table(
    "person", metadata,
    Column("id", Integer, primary_key=True),
    Column("household_id", Integer),
    *_ancestors(),
    Column("relation", Text),  # 户主, 配偶, 子女, 父母, 孙子女, 其他
    Column("name", Text),  # PII
    Column("id_number", String(18)),  # PII
    Column("phone", String(20)),  # PII
    Column("age_band", String(8)),  # 0-17, 18-34, 35-59, 60-79, 80+
    Column("tags", Text),  # 党员, 退役军人, 残疾人, 低保对象, 独居老人, 流动人口, 重点人员
    Column("key_person_id", Integer),  # the key_person row of the same resident, or NULL
    Column("citizen_hash", String(64)),  # the pseudonym appeal.citizen_hash carries for this resident
    Index("ix_person_household", "household_id"),
    Index("ix_person_grid", "grid_code"),
    Index("ix_person_key_person", "key_person_id"),
    Index("ix_person_citizen", "citizen_hash"),
)

enterprise = Table(
    "enterprise", metadata,
    Column("id", Integer, primary_key=True),
    *_ancestors(),
    Column("name", Text),
    Column("kind", Text),  # 制造业, 建筑业, 批发零售, 住宿餐饮, 交通运输, 危化品经营, 其他服务
    Column("employees", Integer),
    Column("risk_tags", Text),  # 危化品, 消防重点, 劳动密集, 有限空间
    Column("last_inspected_at", UTCDateTime),
    Column("inspection_result", Text),  # 合格, 限期整改, 停产整顿
    Column("contact_name", Text),  # PII
    Column("contact_phone", String(20)),  # PII
    Column("lon", Float),
    Column("lat", Float),
    Index("ix_enterprise_grid", "grid_code"),
)

place = Table(
    "place", metadata,
    Column("id", Integer, primary_key=True),
    *_ancestors(),
    Column("kind", Text),  # 网格驿站, 避难场所, 监控点位, 危险源
    Column("name", Text),
    Column("detail", Text),  # capacity, camera type, hazard class …
    Column("lon", Float),
    Column("lat", Float),
    Index("ix_place_grid", "grid_code"),
)

organization = Table(
    "organization", metadata,
    Column("id", Integer, primary_key=True),
    *_ancestors(),
    Column("kind", Text),  # 网格党支部, 志愿服务队, 调解组织
    Column("name", Text),
    Column("members", Integer),
    Column("lon", Float),
    Column("lat", Float),
    Index("ix_organization_grid", "grid_code"),
)

# 检查记录: every safety inspection of an enterprise; the newest is the enterprise row's
# last_inspected_at / inspection_result. Located like its enterprise (same four codes).
inspection = Table(
    "inspection", metadata,
    Column("id", Integer, primary_key=True),
    Column("enterprise_id", Integer),
    *_ancestors(),
    Column("inspected_at", UTCDateTime),
    Column("inspector", Text),  # PII: the lead inspector's name
    Column("result", Text),  # 合格, 限期整改, 停产整顿
    Column("findings", Text),  # problems found, "；"-separated; NULL when none
    Column("rectified_at", UTCDateTime),  # when the problems were verified fixed; NULL: not (yet)
    Index("ix_inspection_enterprise", "enterprise_id", "inspected_at"),
    Index("ix_inspection_inspected", "inspected_at"),
)

REGISTER_TABLES = (household, person, enterprise, place, organization, inspection)

SHARED_TABLES = (region, grid_worker, incident, patrol, key_person, visit, appeal,
                 wechat_group, grid_state, *REGISTER_TABLES)

# --- dashboard-owned -------------------------------------------------------

app_meta = Table(
    "dashboard_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text),
    Column("updated_at", UTCDateTime),
)

WARNING_LEVELS = ("red", "orange", "yellow", "blue")  # national four-colour scale, worst first
WARNING_STATUSES = ("new", "acknowledged", "assigned", "resolved", "dismissed")
OPEN_WARNING_STATUSES = ("new", "acknowledged", "assigned")

warning = Table(
    "warning", metadata,
    Column("id", Integer, primary_key=True),
    # At most one open warning per key; enforced by data_access.warnings.evaluate.
    Column("dedup_key", String(200), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("level", String(8), nullable=False),
    Column("region_code", String(15), nullable=False),
    Column("subject_type", String(20)),
    Column("subject_id", String(80)),
    Column("reason", Text),
    Column("evidence", Text),  # JSON: {"incident": [ids], ...}
    Column("status", String(14), nullable=False, default="new"),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("escalated", Boolean, nullable=False, default=False),
    # Added with the duty desk; nullable so older databases gain them by ALTER TABLE.
    Column("escalated_to", String(15)),  # region code of the level it was escalated to
    Column("assignee", Text),  # department or person it is assigned to
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_by", Text),
    Column("cleared_at", UTCDateTime),  # closed, and its condition has since gone away
    Index("ix_warning_dedup_status", "dedup_key", "status"),
    Index("ix_warning_status_region", "status", "region_code"),
    Index("ix_warning_created", "created_at"),
)

warning_action = Table(
    "warning_action", metadata,
    Column("id", Integer, primary_key=True),
    Column("warning_id", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("actor", Text),
    Column("at", UTCDateTime, nullable=False),
    Column("comment", Text),
    Column("before", Text),
    Column("after", Text),
    Index("ix_warning_action_warning", "warning_id", "at"),
)

ROLES = ("leader", "duty_officer", "analyst", "admin")  # kiosk screens hold tokens, not accounts

app_user = Table(
    "app_user", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),  # scrypt (werkzeug), never the password
    Column("role", String(16), nullable=False),
    Column("scope_code", String(15), nullable=False),  # the jurisdiction: one region subtree
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

kiosk_token = Table(
    "kiosk_token", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of a 256-bit random token
    Column("scope_code", String(15), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Signed-in sessions (dashboard/sessions.py): the browser holds a random id, this table its
# SHA-256, so logout, a password change or a disabled account removes them everywhere at once.
app_session = Table(
    "app_session", metadata,
    Column("session_key", String(64), primary_key=True),  # sha256 of the cookie's session id
    Column("user_key", String(24), nullable=False),  # "u:<app_user.id>" or "k:<kiosk_token.id>"
    Column("data", Text, nullable=False),  # the session's values as JSON
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_app_session_user", "user_key"),
    Index("ix_app_session_expires", "expires_at"),
)

# Append-only for the app: data_access has no UPDATE or DELETE for it.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64)),
    Column("action", String(32), nullable=False),
    Column("target", Text),
    Column("detail", Text),
    Column("ip", String(64)),
    Column("ok", Boolean, nullable=False, default=True),
    # The jurisdiction the row belongs to (the actor's, or the account acted on): an admin reads
    # only rows inside their own; NULL (an unknown username, an older row) only the instance's root.
    Column("scope_code", String(15)),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor_action", "actor", "action", "at"),
)

# What the text pipeline read from an appeal's text (data_access/opinion_readings.py), by which
# reader (model version and place names); the last few weeks only.
appeal_reading = Table(
    "appeal_reading", metadata,
    Column("appeal_id", Integer, primary_key=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("reader", String(40), nullable=False),
    Column("topic", String(20)),
    Column("sentiment", Float),
    Column("keywords", Text, nullable=False),  # words, tab-separated
    Index("ix_appeal_reading_received", "received_at"),
)

# What each named wall screen (a kiosk token) shows, sent from the desk (投屏, data_access/wall_screens.py):
# one row per screen, so the assignment outlives reloads and restarts.
wall_assignment = Table(
    "wall_assignment", metadata,
    Column("kiosk_id", Integer, primary_key=True, autoincrement=False),  # kiosk_token.id
    Column("path", String(64), nullable=False),  # a view path ("/incidents", "/grid/<code>")
    Column("region_code", String(15), nullable=False),
    Column("rotate", Integer),  # seconds per view of a carousel; NULL: one view
    Column("playlist", Text),  # comma-separated view paths the carousel turns through; NULL: the wall's own
    Column("assigned_by", String(64), nullable=False),
    Column("assigned_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
)

# Alerts off-screen (dashboard/notify.py, data_access/alert_channels.py): named channels a red/orange
# warning is pushed to, one row per (channel, warning) and one log row per delivery attempt.
ALERT_CHANNEL_KINDS = ("wecom", "dingtalk", "email")

alert_channel = Table(
    "alert_channel", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(12), nullable=False),  # ALERT_CHANNEL_KINDS
    Column("region_code", String(15), nullable=False),  # receives warnings inside this subtree
    Column("min_level", String(8), nullable=False),  # "red" or "orange" (red and orange)
    Column("target", Text, nullable=False),  # webhook URL (its key is a secret too), or e-mail addresses
    Column("secret", Text),  # DingTalk signing secret; never printed back
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(64)),
)

# The key is the idempotence: a (channel, warning, raising) is planned once by any number of
# processes (an insert that ignores the duplicate), and an attempt is claimed by a conditional UPDATE.
alert_delivery = Table(
    "alert_delivery", metadata,
    Column("channel_id", Integer, primary_key=True, autoincrement=False),
    Column("warning_id", Integer, primary_key=True, autoincrement=False),
    Column("raised_at", UTCDateTime, primary_key=True),  # warning.created_at: a reopened warning is news again
    Column("status", String(8), nullable=False),  # pending / sending / sent / failed (gave up)
    Column("attempts", Integer, nullable=False),
    Column("next_at", UTCDateTime),  # next attempt due (or a claim's expiry while sending)
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("ix_alert_delivery_due", "status", "next_at"),
)

alert_delivery_log = Table(
    "alert_delivery_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("warning_id", Integer),  # NULL: a test message (python -m dashboard channels test)
    Column("channel_id", Integer, nullable=False),
    Column("channel_name", String(64), nullable=False),  # readable after the channel is removed
    Column("attempt", Integer, nullable=False),
    Column("status", String(8), nullable=False),  # sent / error
    Column("code", Integer),  # HTTP status or SMTP reply code
    Column("reply", Text),  # the receiver's answer, cut short
    Column("error", Text),
    Column("at", UTCDateTime, nullable=False),
    Column("next_at", UTCDateTime),  # the retry this failure scheduled; NULL when sent or given up
    Index("ix_alert_delivery_log_warning", "warning_id", "at"),
    Index("ix_alert_delivery_log_at", "at"),
)

# Shift handover (交接班, data_access/handover.py): one sheet per (region, shift), written when the
# outgoing officer signs (交班) with the figures they signed as JSON, so later changes in the data do
# not alter it; one sign-off row per role. The keys keep each sheet and each role's signature single.
handover = Table(
    "handover", metadata,
    Column("region_code", String(15), primary_key=True),
    Column("shift_start", UTCDateTime, primary_key=True),
    Column("shift_end", UTCDateTime, nullable=False),
    Column("as_of", UTCDateTime, nullable=False),  # the figures count up to here (the shift's end, or the signing)
    Column("figures", Text, nullable=False),  # JSON, frozen
    Column("figures_sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

handover_signoff = Table(
    "handover_signoff", metadata,
    Column("region_code", String(15), primary_key=True),
    Column("shift_start", UTCDateTime, primary_key=True),
    Column("role", String(8), primary_key=True),  # "outgoing" (交班) / "incoming" (接班)
    Column("username", String(64), nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
    Column("figures_sha256", String(64), nullable=False),  # what this officer signed
)

# One event, one code (一事一码, data_access/cases.py): reports of one happening (a grid report, a
# 12345 call, a 110 dispatch) linked into one case. Only reports in a case of two or more have a row;
# an incident without one is a case of its own. The incident table (the source systems') is never touched.
incident_case = Table(
    "incident_case", metadata,
    Column("incident_id", Integer, primary_key=True, autoincrement=False),
    Column("case_code", String(24), nullable=False),  # AJ + the primary's local day + its id
    Column("primary_id", Integer, nullable=False),  # the case's earliest report: the one counted as the event
    Column("linked_by", String(64), nullable=False),  # "linker" or the officer who joined it
    Column("score", Float),  # the text similarity that linked it (NULL: the primary, or joined by hand)
    Column("linked_at", UTCDateTime, nullable=False),
    Index("ix_incident_case_primary", "primary_id"),
    Index("ix_incident_case_code", "case_code"),
)

# Every split and join by an officer (who, when, why, the case before and after); append-only.
case_action = Table(
    "case_action", metadata,
    Column("id", Integer, primary_key=True),
    Column("action", String(8), nullable=False),  # split / join
    Column("incident_id", Integer, nullable=False),  # the report split off, or the report whose case was joined
    Column("case_code", String(24), nullable=False),  # the case acted on (before)
    Column("actor", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("before", Text, nullable=False),  # JSON: the cases' members and primaries before
    Column("after", Text, nullable=False),
    Index("ix_case_action_at", "at"),
    Index("ix_case_action_incident", "incident_id"),
)

# Silences of the duty desk (静默, data_access/warning_silences.py): a rule (or every rule) in a
# region's subtree stops sounding, flashing, escalating and being pushed until ends_at; the warnings
# stay on the desk's list. Rows are never deleted: a silence ended early keeps its cancel columns.
warning_silence = Table(
    "warning_silence", metadata,
    Column("id", Integer, primary_key=True),
    Column("rule", String(20)),  # NULL: every rule
    Column("region_code", String(15), nullable=False),
    Column("region_level", String(8), nullable=False),  # which ancestor column of a warning's region to match
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime),
    Column("cancelled_by", String(64)),
    Index("ix_warning_silence_ends", "ends_at"),
)

# 考核评价 weights and grade thresholds (data_access/assessment.py, docs/assessment.md): append-only
# versions; a month is scored with the highest version whose effective_from is not after it.
assessment_weights = Table(
    "assessment_weights", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("effective_from", String(7), nullable=False),  # YYYY-MM (Asia/Shanghai), never a month that has ended
    Column("weights", Text, nullable=False),  # JSON {indicator: weight}, summing to 100
    Column("thresholds", Text, nullable=False),  # JSON grade lines, normalisation points, missing-data rule
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("comment", Text, nullable=False),
)

# 周报 builds (data_access/briefing_builds.py, docs/briefing.md): the briefing files are made by the
# scheduler's worker, never by a web request; a web worker enqueues a row and later serves its bytes.
# active_key is "region/week/format" while queued or running and NULL after: its unique index keeps one
# pending build per file however many requests or processes ask at once.
briefing_build = Table(
    "briefing_build", metadata,
    Column("id", Integer, primary_key=True),
    Column("region_code", String(15), nullable=False),
    Column("week", String(8), nullable=False),  # ISO week, 2026-W47
    Column("format", String(8), nullable=False),  # preview / docx / xlsx / pdf
    Column("as_of", UTCDateTime, nullable=False),  # the figures are as known at this instant
    Column("status", String(8), nullable=False),  # queued / running / done / failed
    Column("progress", SmallInteger, nullable=False),  # 0-100
    Column("active_key", String(40), unique=True),
    Column("requested_by", String(64)),  # NULL: the scheduler's Monday pre-build
    Column("requested_at", UTCDateTime, nullable=False),
    Column("worker", String(64)),  # host:pid of the process that claimed it
    Column("attempts", SmallInteger, nullable=False),
    Column("started_at", UTCDateTime),
    Column("heartbeat_at", UTCDateTime),  # a running build not heard of for BRIEFING_STUCK_SECONDS is reclaimed
    Column("finished_at", UTCDateTime),
    Column("filename", String(64)),
    Column("body", LargeBinary),  # the file (NULL for a preview)
    Column("size", Integer),
    Column("sha256", String(64)),
    Column("preview", Text),  # JSON: the summary and key figures the page shows
    Column("error", Text),
    Index("ix_briefing_build_lookup", "region_code", "week", "format", "status"),
    Index("ix_briefing_build_status", "status", "requested_at"),
)

OWN_TABLES = (app_meta, warning, warning_action, app_user, kiosk_token, app_session, audit_log, appeal_reading,
              wall_assignment, alert_channel, alert_delivery, alert_delivery_log, handover, handover_signoff,
              incident_case, case_action, warning_silence, assessment_weights,
              briefing_build)
