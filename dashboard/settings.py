"""Settings are data: each has a name, a default, an environment variable and help.

`docs/settings.md` lists them; a test fails when one is missing there.
Order of precedence: defaults, then the environment, then `create_app(overrides)`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from data_access.engine import DEFAULT_URL


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str

    @property
    def env(self) -> str:
        return self.name


SETTINGS = (
    Setting("DATABASE_URL", DEFAULT_URL,
            "SQLAlchemy URL of the governance database (SQLite file or postgresql://…)."),
    Setting("REFRESH_SECONDS", 5, "Seconds between live refresh ticks of every screen."),
    Setting("OPINION_REFRESH_SECONDS", 60,
            "Seconds between recomputations of the barometer (社情民意) snapshot: its figures move over days; "
            "its screens still tick every REFRESH_SECONDS and get the new one on the next tick."),
    Setting("ALARM_SECONDS", 5, "Seconds between each screen's check for unacknowledged red/orange warnings."),
    Setting("CACHE_REDIS_URL", "", "Redis URL for the shared cache; empty = per-process SimpleCache."),
    Setting("DEFAULT_REGION", "450800", "Region shown when the URL names none (the city)."),
    Setting("SCOPE_REGION", "450800",
            "Region subtree for work outside a signed-in request (the warnings evaluator, the CLI)."),
    Setting("SECRET_KEY", "",
            "Key that signs session cookies; empty = a random key kept in var/secret_key (one host only)."),
    Setting("SESSION_IDLE_MINUTES", 15, "A signed-in session ends after this many minutes without a person acting."),
    Setting("SESSION_MAX_HOURS", 12, "A signed-in session ends this many hours after login in any case."),
    Setting("LOGIN_LOCK_FAILURES", 5, "Sign-in attempts of one username that lock it (a success clears them) …"),
    Setting("LOGIN_LOCK_MINUTES", 5, "… within (and for) this many minutes; refused attempts do not extend it."),
    Setting("LOGIN_ADDRESS_ATTEMPTS", 20,
            "Sign-in attempts from one client address (any usernames) within LOGIN_LOCK_MINUTES."),
    Setting("REQUEST_MAX_BYTES", 1_048_576,
            "Largest request body accepted (413 above it); the largest real callback body is far smaller."),
    Setting("COOKIE_SECURE", 0, "1 behind TLS: cookies are sent over HTTPS only."),
    Setting("TRUSTED_HOSTS", "",
            "Comma-separated host names the app answers to (others get 400); empty = any (set it in production)."),
    Setting("STATEMENT_TIMEOUT_MS", 15000, "PostgreSQL statement timeout, so a slow query cannot hang a worker."),
    Setting("WARNINGS_EVALUATE_SECONDS", 0,
            "Seconds between runs of the warning rules inside the app (one process at a time); 0 = off."),
    Setting("ROLLUPS_RECONCILE_SECONDS", 900,
            "Seconds between the rollups' reconcile passes (corrections and deletions in settled days reach "
            "every figure); run by the scheduler thread under the rollups lease; 0 = never."),
    Setting("ALERTS_DELIVER_SECONDS", 15,
            "Seconds between passes of the off-screen alerts worker (dashboard/notify.py), which runs in the "
            "scheduler's process (so only when WARNINGS_EVALUATE_SECONDS > 0); 0 = off."),
    Setting("ALERTS_TIMEOUT_SECONDS", 10, "Timeout of every network call of an alert delivery (webhook, SMTP)."),
    Setting("ALERTS_RETRY_SECONDS", 60, "Wait after a failed delivery attempt; doubled after each further failure …"),
    Setting("ALERTS_RETRY_MAX_SECONDS", 3600, "… up to this many seconds."),
    Setting("ALERTS_MAX_ATTEMPTS", 8, "Attempts of one delivery before it is given up (logged as failed)."),
    Setting("ALERTS_LINK_BASE", "", "The app's address as people reach it (https://…); adds a link to the desk "
            "to each alert; empty = no link."),
    Setting("SMTP_HOST", "", "SMTP server of the e-mail alert channels; empty = e-mail channels cannot deliver."),
    Setting("SMTP_PORT", 25, "SMTP server port."),
    Setting("SMTP_USER", "", "SMTP login; empty = no login."),
    Setting("SMTP_PASSWORD", "", "SMTP password (with SMTP_USER)."),
    Setting("SMTP_FROM", "", "Sender address of alert e-mails."),
    Setting("SMTP_STARTTLS", 0, "1: upgrade the SMTP connection with STARTTLS (certificate verified) before login."),
    Setting("BRIEFING_WORKER_SECONDS", 5,
            "Seconds between the briefing worker's looks for queued 周报 builds (dashboard/briefing/jobs.py); it runs "
            "in the scheduler's process (so only when WARNINGS_EVALUATE_SECONDS > 0); 0 = off (nothing is built)."),
    Setting("BRIEFING_STUCK_SECONDS", 300,
            "A running briefing build whose worker has not reported for this many seconds (it died) is built again."),
    Setting("BRIEFING_PREBUILD_AT", "02:00",
            "Monday time (HH:MM, Asia/Shanghai) from which last week's briefing of every analyst's region is "
            "built ahead; empty = no pre-build."),
    Setting("SHIFTS", "08:00,20:00",
            "Start times (HH:MM, Asia/Shanghai, comma-separated) of the duty shifts; each runs to the next. "
            "The handover sheet (交接班) covers one shift."),
    Setting("DASHBOARD_NOW", "", "Pretend it is this ISO time (replay, reproducible tests); empty = real time."),
)


def load(overrides: dict | None = None) -> dict:
    out = {}
    for s in SETTINGS:
        raw = os.environ.get(s.env, s.default)
        out[s.name] = type(s.default)(raw) if raw != "" and not isinstance(s.default, str) else raw
    out.update(overrides or {})
    return out
