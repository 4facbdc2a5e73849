"""`python -m dashboard users …`: accounts and kiosk tokens (there is no default password:
the first admin is created here)."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from data_access import RegionError
from data_access import engine as db
from data_access import users
from data_access.schema import ROLES
from data_access.timeutil import wall_clock as now

from . import sessions, settings
from .auth import hash_password, new_token, password_problem


def add_parser(sub) -> None:
    p = sub.add_parser("users", help="accounts, roles, jurisdictions and kiosk tokens")
    us = p.add_subparsers(dest="users_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database URL (default: DATABASE_URL or var/redgrid.db)")
    add = us.add_parser("add", help="add a user (password from stdin when it is not a terminal, else prompted)",
                       parents=[common])
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--scope", required=True, help="region code of the user's jurisdiction")
    us.add_parser("list", help="list users", parents=[common])
    for name, text in (("disable", "stop a user signing in"), ("enable", "let a disabled user sign in again"),
                       ("set-password", "set a new password (stdin or prompt)")):
        c = us.add_parser(name, help=text, parents=[common])
        c.add_argument("username")
    sc = us.add_parser("set-scope", help="change a user's jurisdiction", parents=[common])
    sc.add_argument("username")
    sc.add_argument("code")
    k = us.add_parser("kiosk", help="create a wall-screen token bound to a region (printed once)",
                      parents=[common])
    k.add_argument("name")
    k.add_argument("--scope", required=True)
    r = us.add_parser("revoke-kiosk", help="stop a wall screen's token", parents=[common])
    r.add_argument("name")
    d = us.add_parser("demo", help="demo accounts of every role with random passwords (only when there are no users)",
                      parents=[common])
    d.add_argument("--scope", default="450800")
    d.add_argument("--out", default="var/demo-accounts.txt", help="where to keep them (mode 0600)")


def _password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("密码: ")
        if first != getpass.getpass("再次输入: "):
            raise users.UserError("两次输入的密码不一致")
        return first
    return sys.stdin.readline().rstrip("\n")


def run(args) -> int:
    engine = db.make_engine(args.db)
    db.create_own_tables(engine)
    actor = f"cli:{getpass.getuser()}@{os.uname().nodename}"
    at = now()
    cmd = args.users_command
    if cmd == "demo":
        return _demo(engine, args, actor, at)
    try:
        if cmd == "list":
            with engine.connect() as conn:
                for u in users.all_users(conn):
                    print(f"{u.username:<20} {u.role:<13} {u.scope_code:<15} {'active' if u.active else 'disabled'}")
            return 0
        secret = None
        if cmd in ("add", "set-password"):
            secret = _password()
            problem = password_problem(secret)
            if problem:
                raise users.UserError(problem)
        shared = _shared_cache()
        with engine.begin() as conn:  # the change, its audit row and the sessions it ends: one transaction
            if cmd == "add":
                users.add(conn, args.username, hash_password(secret), args.role, args.scope, at)
                users.audit(conn, at, actor, "user_add", args.username, {"role": args.role, "scope": args.scope},
                            scope_code=args.scope)
            elif cmd == "enable":
                users.enable(conn, args.username, at)
                users.audit(conn, at, actor, "user_enable", args.username,
                            scope_code=users.scope_code_of(conn, args.username))
            elif cmd in ("disable", "set-password", "set-scope"):
                before = users.get(conn, args.username) if isinstance(args.username, str) else None
                if cmd == "disable":
                    users.disable(conn, args.username, at)
                elif cmd == "set-password":
                    users.set_password(conn, args.username, hash_password(secret), at)
                else:
                    users.set_scope(conn, args.username, args.code, at)
                ended = sessions.revoke(conn, f"u:{before.id}", shared)
                detail = {"sessions_ended": ended}
                if cmd == "set-scope":
                    detail.update({"scope": args.code, "was": before.scope_code})
                action = {"disable": "user_disable", "set-password": "user_password", "set-scope": "user_scope"}[cmd]
                users.audit(conn, at, actor, action, args.username, detail, scope_code=before.scope_code)
                _forget(shared, f"rg:user:u:{before.id}")
            elif cmd == "kiosk":
                token = new_token()
                users.add_kiosk(conn, args.name, token, args.scope, at)
                users.audit(conn, at, actor, "kiosk_add", args.name, {"scope": args.scope}, scope_code=args.scope)
                print(f"kiosk {args.name}: open /kiosk?token={token} once on the screen (shown only now)")
            elif cmd == "revoke-kiosk":
                walls = users.kiosks_named(conn, args.name)
                if not users.revoke_kiosk(conn, args.name):
                    raise users.UserError(f"大屏 {args.name} 不存在")
                ended = sum(sessions.revoke(conn, f"k:{w.id}", shared) for w in walls)
                users.audit(conn, at, actor, "kiosk_revoke", args.name, {"sessions_ended": ended},
                            scope_code=walls[0].scope_code if walls else None)
                for w in walls:
                    _forget(shared, f"rg:user:k:{w.id}", f"rg:bearer:{w.token_hash}")
    except (users.UserError, RegionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if cmd != "kiosk":
        print("ok")
    return 0


DEMO = (("leader", "leader"), ("duty", "duty_officer"), ("analyst", "analyst"), ("admin", "admin"))


def _shared_cache():
    """The app's Redis cache, when it has one, so that what a change ends (sessions, the cached
    account, a wall's token) ends on every worker at once; None with the per-process cache
    (the app then reads sessions from the database on every request)."""
    url = settings.load().get("CACHE_REDIS_URL")
    if not url:
        return None
    from flask import Flask
    from flask_caching import Cache
    holder = Cache()
    holder.init_app(Flask("redgrid-cli"), config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url})
    return holder


def _forget(shared, *keys) -> None:
    if shared is None:
        return
    for key in keys:
        try:
            shared.delete(key)
        except Exception:  # noqa: BLE001 - Redis away: its copies expire within USER_CACHE_SECONDS
            print(f"warning: could not drop {key} from Redis", file=sys.stderr)


def _demo(engine, args, actor, at) -> int:
    """For the quick start: one account per role, each with its own random password, written
    to a file only this OS user can read. Never on a database that already has users."""
    with engine.begin() as conn:
        if users.count(conn):
            print("users exist; no demo accounts created")
            return 0
        lines = []
        for name, role in DEMO:
            password = new_token()[:16]
            users.add(conn, f"demo_{name}", hash_password(password), role, args.scope, at)
            users.audit(conn, at, actor, "user_add", f"demo_{name}", {"role": role, "scope": args.scope},
                        scope_code=args.scope)
            lines.append(f"demo_{name:<10} {role:<13} {password}")
        token = new_token()
        users.add_kiosk(conn, "demo_wall", token, args.scope, at)
        users.audit(conn, at, actor, "kiosk_add", "demo_wall", {"scope": args.scope}, scope_code=args.scope)
        lines.append(f"wall screen: /kiosk?token={token}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"demo accounts written to {args.out} (mode 0600)")
    return 0
