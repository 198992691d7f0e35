"""`python -m db …`: the store's command line — `upgrade`, `init-site` for a real pickup point, `import-manifest`,
`revision`, `backup` and `restore`, the outbox's runner (`jobs run`, `jobs serve`: cli/jobs.py) and a site's
channels (`channels set`, `channels show`). It prints words in the reader's language, so it lives here, above both
db/ and ui/, and db/__main__.py only hands over to it."""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import getpass
import json
import pathlib
import signal
import sys
import tempfile
import threading
import time
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError

from cli.jobs import Runner, RunReport
from db.core.backup import KINDS, TableCount, describe_target, make_backup, restore_backup
from db.core.clock import local_today, to_local, utc_now
from db.core.engine import database_url, make_engine, read_only, unit_of_work
from db.core.errors import BackupUnreadable, StoreError
from db.core.migrate import current_heads, upgrade_to_head, write_revision
from db.forecast.backtest import EVENING, backtest
from db.orders.manifest import MAX_FILE_BYTES, apply_import, plan_import, read_manifest
from db.orders.rollups import rebuild_rollups
from db.outbox.channels import (
    CHANNEL_SECRETS,
    channel_views,
    notification_switches,
    remove_channel,
    set_channel,
    set_notification,
)
from db.people.accounts import create_organizer_account, create_volunteer
from db.people.sites import create_site, get_site_by_code
from db.privacy.retention import purge_personal_data

# An entry point, not the store: it may word its summary with the UI's pure translator (no streamlit).
from ui.i18n import LANGUAGES, configured_language, translate
from ui.manifest_text import import_error_text, import_summary, rejected_reason

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
# The channels `channels set` switches or removes: those with secrets (copy to WeChat needs no set-up).
CHANNELS_SET_UP = tuple(CHANNEL_SECRETS)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


def _parser() -> argparse.ArgumentParser:
    """Every command and its options, in one table: long because it lists them all, it decides nothing."""
    parser = argparse.ArgumentParser(prog="python -m db", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    upgrade = commands.add_parser("upgrade", help="bring the schema to the newest migration")
    upgrade.set_defaults(run=_upgrade)

    init_site = commands.add_parser(
        "init-site",
        help="create a pickup point and its first organizer (how a real site starts)",
        description="Create a pickup point, its first organizer (who also holds every volunteer role) and the "
        "organizer's sign-in. The password is asked twice, or read from the first line of stdin.",
    )
    init_site.add_argument("--code", required=True, help="short site code, e.g. TS2")
    init_site.add_argument("--name", required=True, help="the site's name, e.g. 天山二村买菜点")
    init_site.add_argument("--address", default="")
    init_site.add_argument("--organizer-name", required=True, help="the organizer's name as volunteers know it")
    init_site.add_argument("--phone", default="", help="the organizer's phone number")
    init_site.add_argument("--username", required=True, help="the organizer's sign-in name")
    init_site.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    init_site.set_defaults(run=_init_site)

    import_manifest = commands.add_parser(
        "import-manifest",
        help="import a platform's delivery manifest (CSV or XLSX) into a site",
        description="Check every row and import the valid orders whole. Exit 0: every row valid; 1: some rows "
        "rejected, the valid ones imported; 2: nothing could be imported (unreadable file, unknown site, "
        "or every row rejected).",
    )
    import_manifest.add_argument("file", type=pathlib.Path, help="the manifest, .csv or .xlsx")
    import_manifest.add_argument("--site", required=True, help="the site code, e.g. TS2")
    import_manifest.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the summary")
    import_manifest.set_defaults(run=_import_manifest)

    revision = commands.add_parser(
        "revision",
        help="write a new migration from the difference between the models and the newest schema",
    )
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(run=_revision)

    backup = commands.add_parser(
        "backup",
        help="write a consistent backup of the whole store, also while the app is writing",
        description="SQLite: a copy through SQLite's online backup API (a .db file the app can open). PostgreSQL: "
        "pg_dump of the server's major version in an archive with a manifest, else a portable archive. "
        "A .zip path: the portable archive (every table as JSON Lines, with per-table row counts and "
        "checksums; restores into either database). The backup holds residents' names and phone "
        "numbers: keep it where only the committee can read it. Exit 2: the path or database is "
        "unusable; 1: the backup failed (nothing is left at the path).",
    )
    backup.add_argument("path", type=pathlib.Path, help="the file to write; it must not exist yet")
    backup.add_argument(
        "--kind",
        choices=("auto", *KINDS),
        default="auto",
        help="auto (default): portable for a .zip path, else the database's own kind",
    )
    backup.set_defaults(run=_backup)

    restore = commands.add_parser(
        "restore",
        help="restore a backup into an empty database and verify every table's rows",
        description="Build the schema with the migrations up to the backup's revision, insert the rows, compare "
        "every table's row count and checksum with the backup (a mismatch undoes the restore), then "
        "upgrade to the newest schema. Exit 0: restored and verified; 1: refused (the database holds "
        "data and --force was not given, or the rows did not match the backup); 2: the backup cannot "
        "be read.",
    )
    restore.add_argument("path", type=pathlib.Path, help="a backup written by `python -m db backup` or the app")
    restore.add_argument(
        "--force",
        action="store_true",
        help="replace a database that holds data: the app's tables are dropped with every row in "
        "them, then rebuilt from the backup",
    )
    restore.set_defaults(run=_restore)

    rebuild = commands.add_parser(
        "rebuild-rollups",
        help="recompute the report rollups from the orders (all sites, or one)",
        description="Delete the rollup rows and count them again from the orders, one INSERT … SELECT per table, "
        "in one transaction. Exit 0: rebuilt; 1: unknown site.",
    )
    rebuild.add_argument("--site", help="a site code, e.g. TS2 (default: every site)")
    rebuild.set_defaults(run=_rebuild_rollups)

    jobs = commands.add_parser("jobs", help="the scheduled jobs: queue and send the outbox's messages")
    job_commands = jobs.add_subparsers(dest="job", required=True)
    jobs_run = job_commands.add_parser(
        "run",
        help="run every due job once and exit (for cron or a systemd timer, every minute)",
        description="Queue the reminders and alerts now due, settle the messages a stopped runner left sending, "
        "send what is due within each channel's limits, and print a line per message. Several runners at once "
        "never send a message twice. Exit 0: the run finished (messages that failed are said and tried again "
        "later); 2: the database cannot be used.",
    )
    jobs_run.add_argument("--now", type=_moment, help=argparse.SUPPRESS)  # tests: the run's clock, ISO with a zone
    jobs_run.set_defaults(run=_jobs_run)
    jobs_serve = job_commands.add_parser(
        "serve",
        help="keep running the jobs, once a minute, until stopped (SIGTERM or Ctrl-C ends it after the run)",
    )
    jobs_serve.add_argument("--every", type=float, default=60.0, help="seconds between the starts of two runs")
    jobs_serve.add_argument("--runs", type=int, default=None, help=argparse.SUPPRESS)  # tests: stop after N runs
    jobs_serve.set_defaults(run=_jobs_serve)

    channels = commands.add_parser("channels", help="a site's channels: the staff group's robot, SMS")
    channel_commands = channels.add_subparsers(dest="channels_command", required=True)
    channels_set = channel_commands.add_parser(
        "set",
        help="set up or change a site's channels (secrets are kept, shown only by their last four characters)",
        description="Each option changes only what it names; a secret not given keeps the stored one. A secret on "
        "the command line is in the shell's history: give `-` to read it from the next line of stdin instead. "
        "Exit 0: saved; 1: refused (unknown site, a value the store refuses); 2: an option's value is malformed.",
    )
    channels_set.add_argument("--site", required=True, help="the site code, e.g. TS2")
    channels_set.add_argument("--wecom-webhook", help="the staff group robot's webhook URL (with its key), or -")
    channels_set.add_argument("--sms-provider", choices=("aliyun",), help="the SMS provider (default aliyun)")
    channels_set.add_argument("--sms-access-key-id", help="the provider's access key id, or -")
    channels_set.add_argument("--sms-access-key-secret", help="the provider's access key secret, or -")
    channels_set.add_argument("--sms-sign-name", help="the SMS signature the provider approved, e.g. 天山二村")
    channels_set.add_argument(
        "--sms-template",
        action="append",
        default=[],
        metavar="KIND=CODE",
        help="the provider's template code for a kind of message, e.g. overdue_reminder=SMS_123456789 (repeatable)",
    )
    channels_set.add_argument(
        "--off", action="append", default=[], choices=CHANNELS_SET_UP, help="switch a channel off"
    )
    channels_set.add_argument("--on", action="append", default=[], choices=CHANNELS_SET_UP, help="switch it on again")
    channels_set.add_argument(
        "--remove", action="append", default=[], choices=CHANNELS_SET_UP, help="remove a channel and its secrets"
    )
    channels_set.add_argument(
        "--notification",
        action="append",
        default=[],
        metavar="KIND=on|off",
        help="switch a kind of message on or off for the site, e.g. day_summary=off (repeatable)",
    )
    channels_set.set_defaults(run=_channels_set)
    channels_show = channel_commands.add_parser(
        "show", help="a site's channels, secrets masked (last four characters), and which kinds of message are on"
    )
    channels_show.add_argument("--site", required=True, help="the site code, e.g. TS2")
    channels_show.set_defaults(run=_channels_show)

    privacy = commands.add_parser("privacy", help="residents' personal data under PIPL (docs/privacy.md)")
    privacy_commands = privacy.add_subparsers(dest="privacy_command", required=True)
    privacy_purge = privacy_commands.add_parser(
        "purge",
        help="anonymise the closed bags past each site's retention rule, delete ended sign-ins and old browsers",
        description="Every site's bags handed over or returned longer ago than its rule's days personal data is "
        "kept (or --older-than-days) lose their resident's name, phone and address for good (the building, "
        "dates and counts stay, under a random household id), in short batches; their event log entries and "
        "messages are scrubbed too. A bag never closed (never delivered, a problem never settled) is anonymised "
        "too once its delivery day is those days plus 30 ago, its status kept. Ended sign-in sessions and "
        "remembered browsers unseen for 30 days are deleted (counter tablets stay). The runner (`jobs run`) "
        "does the same once an hour. Exit 0.",
    )
    privacy_purge.add_argument(
        "--older-than-days",
        type=_days,
        default=None,
        help="for this run, instead of each site's rule: bags closed more than N days ago (1-365)",
    )
    privacy_purge.add_argument("--now", type=_moment, help=argparse.SUPPRESS)  # tests: the run's clock
    privacy_purge.set_defaults(run=_privacy_purge)

    forecast = commands.add_parser("forecast", help="the forecast of bags, slots and volunteers for the next days")
    forecast_commands = forecast.add_subparsers(dest="forecast_command", required=True)
    forecast_backtest = forecast_commands.add_parser(
        "backtest",
        help="forecast each of the last N days as it would have been made the evening before (1 to 7 days ahead) "
        "and print the error beside two naive baselines",
    )
    forecast_backtest.add_argument("--site", required=True, help="the site code, e.g. TS2")
    forecast_backtest.add_argument("--days", type=int, default=28, help="how many of the last days to judge")
    forecast_backtest.add_argument("--json", type=pathlib.Path, help="also write the figures to this file as JSON")
    forecast_backtest.add_argument(
        "--at", type=dt.time.fromisoformat, default=EVENING, help="the local time of the evening forecast (22:00)"
    )
    forecast_backtest.add_argument("--now", type=_moment, help=argparse.SUPPRESS)  # tests, seeds: the clock
    forecast_backtest.set_defaults(run=_forecast_backtest)

    for command in (jobs_run, jobs_serve, privacy_purge, forecast_backtest):
        command.add_argument("--lang", choices=LANGUAGES, default=None, help="language of the printed lines")
    for command in (upgrade, init_site, import_manifest, backup, restore, rebuild, jobs_run, jobs_serve) + (
        channels_set,
        channels_show,
        privacy_purge,
        forecast_backtest,
    ):
        command.add_argument("--database-url", help="default: DATABASE_URL, else the embedded SQLite file")
    return parser


def _upgrade(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url or database_url())
    try:
        upgrade_to_head(engine)
        print(f"schema at revision {', '.join(current_heads(engine))}")
    finally:
        engine.dispose()
    return EXIT_OK


def _rebuild_rollups(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url or database_url())
    try:
        with unit_of_work(engine) as session:
            site_id = get_site_by_code(session, code=args.site.strip().upper()).id if args.site else None
            written = rebuild_rollups(session, site_id=site_id)
    except StoreError as error:
        print(f"refused: {_describe(error)}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    where = f"site {args.site.strip().upper()}" if args.site else "every site"
    print(f"rollups rebuilt for {where}: " + ", ".join(f"{table} {rows} rows" for table, rows in written.items()))
    return EXIT_OK


def _forecast_backtest(args: argparse.Namespace) -> int:
    language = args.lang or configured_language()
    if args.days < 1:
        print(translate(language, "cli.forecast.bad_days").plain, file=sys.stderr)
        return EXIT_USAGE
    engine = make_engine(args.database_url or database_url())
    try:
        with read_only(engine) as session:
            site = get_site_by_code(session, code=args.site.strip().upper())
            figures = backtest(session, site_id=site.id, days=args.days, now=args.now or utc_now(), at=args.at)
    except StoreError as error:
        print(f"refused: {_describe(error)}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    for line in _backtest_lines(figures, language=language):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
        print(translate(language, "cli.forecast.written", path=str(args.json)).plain)
    return EXIT_OK


def _backtest_lines(figures: dict[str, Any], *, language: str) -> list[str]:
    """A short table: per day ahead, the error of bags collected per day beside the baselines, and the error of
    the peak held bags per class in percent of its slots."""
    if not figures["day_ahead"]:
        return [translate(language, "cli.forecast.no_days", site=figures["site"]).plain]
    lines = [
        translate(
            language,
            "cli.forecast.heading",
            site=figures["site"],
            days=figures["days"],
            first=figures["first_day"],
            last=figures["last_day"],
            at=figures["origin_time"],
        ).plain,
        translate(language, "cli.forecast.columns").plain,
    ]
    for ahead, row in figures["day_ahead"].items():
        peaks = "  ".join(
            f"{translate(language, f'value.kind.{kind}').plain} {100 * peak['mae_share_of_slots']:.1f}%"
            for kind, peak in row["peak_held"].items()
        )
        lines.append(
            f"{ahead:>2}  {row['mae']:7.1f}  {row['mean']:7.1f}  {row['naive_last_week_mae']:7.1f}  "
            f"{row['naive_four_weeks_mae']:7.1f}  {peaks}"
        )
    return lines


def _init_site(args: argparse.Namespace) -> int:
    password = _read_password(from_stdin=args.password_stdin)
    if password is None:
        return EXIT_REFUSED
    engine = make_engine(args.database_url or database_url())
    try:
        upgrade_to_head(engine)
        now = utc_now()
        with unit_of_work(engine) as session:
            site = create_site(session, code=args.code, name=args.name, address=args.address, now=now)
            organizer = create_volunteer(
                session,
                site_id=site.id,
                name=args.organizer_name,
                phone=args.phone,
                roles=("organizer", "receiving", "handout", "cold_check"),
                now=now,
            )
            create_organizer_account(
                session,
                volunteer_id=organizer.id,
                username=args.username,
                password=password,
                now=now,
                actor_id=organizer.id,
            )
            code, name, username = site.code, site.name, args.username.strip().lower()
    except StoreError as error:
        print(f"refused: {_describe(error)}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    print(f"site {code} {name} created; organizer signs in as {username}")
    return EXIT_OK


def _import_manifest(args: argparse.Namespace) -> int:
    language = args.lang or configured_language()
    try:
        with args.file.open("rb") as handle:
            # One byte past the limit is enough to refuse a huge file (or /dev/zero) without reading it all.
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        print(
            translate(
                language,
                "error.manifest_cannot_open",
                file=str(args.file),
                reason=error.strerror or type(error).__name__,
            ).plain,
            file=sys.stderr,
        )
        return EXIT_USAGE
    engine = make_engine(args.database_url or database_url())
    try:
        with unit_of_work(engine) as session:
            site = get_site_by_code(session, code=args.site.strip().upper())
            table = read_manifest(data, filename=args.file.name)
            now = utc_now()
            plan = plan_import(session, site_id=site.id, table=table, today=local_today(now))
            result = apply_import(session, site_id=site.id, plan=plan, now=now)
    except StoreError as error:
        # Unreadable file or unknown site: nothing was imported.
        # A terminal shows text as it is: the plain words, without the Markdown escapes the page needs.
        print(import_error_text(error, language=language).plain, file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    print(import_summary(result, language=language).plain)
    for row in result.rejected:
        print(
            translate(
                language, "manifest.rejected_line", row=row.number, reason=rejected_reason(row, language=language)
            ).plain
        )
    return result.exit_code


def _revision(args: argparse.Namespace) -> int:
    # Compared against a scratch database at head, so the revision holds only what the models changed.
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{pathlib.Path(scratch) / 'revision.db'}")
        try:
            upgrade_to_head(engine)
            write_revision(engine, message=args.message)
        finally:
            engine.dispose()
    return EXIT_OK


def _backup(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url or database_url())
    try:
        summary = make_backup(engine, path=args.path, kind=args.kind)
    except StoreError as error:
        print(f"refused: {translate('en', error.key, **error.params).plain}", file=sys.stderr)
        return EXIT_USAGE if error.key in ("error.backup_exists", "error.backup_no_folder") else EXIT_REFUSED
    except SQLAlchemyError as error:
        print(f"cannot read the database: {error.__class__.__name__}: {getattr(error, 'orig', error)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    if summary.note:
        print(f"note: {summary.note}")
    print(
        f"backup written: {summary.path} ({summary.kind}, {summary.size_bytes / 1e6:.1f} MB, "
        f"{summary.seconds:.1f} s, at {summary.created_at:%Y-%m-%d %H:%M:%S} UTC)"
    )
    print(f"schema revision {', '.join(summary.revision) or 'none'}")
    _print_counts(summary.tables)
    if summary.skipped:
        print(f"not backed up (transient): {', '.join(summary.skipped)}")
    return EXIT_OK


def _restore(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url or database_url())
    try:
        if args.force:
            occupied = describe_target(engine)
            if occupied:
                print(
                    f"--force: dropping {sum(occupied.values())} rows in {', '.join(sorted(occupied))} "
                    "and rebuilding the database from the backup",
                    file=sys.stderr,
                )
        summary = restore_backup(engine, path=args.path, force=args.force)
    except StoreError as error:
        print(f"refused: {translate('en', error.key, **error.params).plain}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, BackupUnreadable) else EXIT_REFUSED
    except SQLAlchemyError as error:
        print(f"cannot use the database: {error.__class__.__name__}: {getattr(error, 'orig', error)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    print(
        f"restored {args.path} ({summary.kind}, schema revision {', '.join(summary.revision)}) "
        f"in {summary.seconds:.1f} s; every table below matches the backup's count and checksum"
    )
    _print_counts(summary.tables)
    if summary.skipped:
        print(f"not restored (transient): {', '.join(summary.skipped)}")
    if summary.replaced_rows:
        print(f"replaced {summary.replaced_rows} rows the database held before")
    print(f"schema now at revision {', '.join(summary.head)}")
    return EXIT_OK


def _jobs_run(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url or database_url())
    fixed = args.now
    try:
        with httpx.Client() as http:
            runner = Runner(
                engine,
                clock=(lambda: fixed) if fixed else utc_now,
                http=http,
                language=args.lang or configured_language(),
            )
            _print_run(runner.run_once(), language=runner.language)
    except SQLAlchemyError as error:
        print(f"cannot use the database: {error.__class__.__name__}: {getattr(error, 'orig', error)}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    return EXIT_OK


def _jobs_serve(args: argparse.Namespace) -> int:
    """Run, then wait for the next start (`--every` seconds after this one's), until SIGTERM or Ctrl-C: a signal
    during a run lets it finish; during the wait it ends the wait."""
    stop = threading.Event()
    handlers = {number: signal.signal(number, lambda *_: stop.set()) for number in (signal.SIGTERM, signal.SIGINT)}
    engine = make_engine(args.database_url or database_url())
    runs = 0
    try:
        with httpx.Client() as http:
            runner = Runner(engine, clock=utc_now, http=http, language=args.lang or configured_language())
            while not stop.is_set():
                started = time.monotonic()
                try:
                    _print_run(runner.run_once(), language=runner.language)
                except SQLAlchemyError as error:  # the database is away for a while: said, tried again next time
                    print(f"run failed: {error.__class__.__name__}: {getattr(error, 'orig', error)}", file=sys.stderr)
                runs += 1
                if args.runs is not None and runs >= args.runs:
                    break
                stop.wait(max(0.0, args.every - (time.monotonic() - started)))
    finally:
        engine.dispose()
        for number, handler in handlers.items():
            signal.signal(number, handler)
    return EXIT_OK


def _privacy_purge(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url or database_url())
    try:
        report = purge_personal_data(engine, now=args.now or utc_now(), older_than_days=args.older_than_days)
    finally:
        engine.dispose()
    language = args.lang or configured_language()
    print(
        translate(
            language,
            "cli.privacy.purged",
            orders=report.orders,
            events=report.events,
            messages=report.messages,
            sessions=report.sessions,
            devices=report.devices,
            batches=report.batches,
            longest_ms=round(report.longest_batch_ms),
        ).plain
    )
    return EXIT_OK


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= 365:
        raise argparse.ArgumentTypeError("a whole number of days from 1 to 365")
    return days


def _print_run(report: RunReport, *, language: str) -> None:
    for line in report.lines:
        print(line)
    counts = ", ".join(f"{what} {count}" for what, count in sorted(report.counts.items())) or "-"
    print(translate(language, "cli.jobs.summary", at=utc_now(), counts=counts).plain, flush=True)


def _moment(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("a moment with its zone, e.g. 2026-11-25T10:00+08:00")
    return moment.astimezone(dt.UTC)


def _channels_set(args: argparse.Namespace) -> int:
    try:
        templates = _pairs(args.sms_template)
        switches = {kind: _on_off(value) for kind, value in _pairs(args.notification).items()}
        webhook, key_id, key_secret = (
            _secret(value) for value in (args.wecom_webhook, args.sms_access_key_id, args.sms_access_key_secret)
        )
    except ValueError as error:
        print(f"refused: {error}", file=sys.stderr)
        return EXIT_USAGE
    engine = make_engine(args.database_url or database_url())
    now = utc_now()
    try:
        with unit_of_work(engine) as session:
            site = get_site_by_code(session, code=args.site.strip().upper())
            views = {view.channel: view for view in channel_views(session, site_id=site.id)}
            wanted: dict[str, tuple[dict[str, Any], dict[str, str | None]]] = {}
            if webhook is not None:
                wanted["wecom"] = ({}, {"webhook_url": webhook})
            sms_settings: dict[str, Any] = {}
            if args.sms_provider or "sms" not in views:
                sms_settings["provider"] = args.sms_provider or "aliyun"
            if args.sms_sign_name is not None:
                sms_settings["sign_name"] = args.sms_sign_name
            if templates:
                stored = dict(views["sms"].settings.get("template_codes") or {}) if "sms" in views else {}
                sms_settings["template_codes"] = stored | templates
            if key_id is not None or key_secret is not None or set(sms_settings) - {"provider"}:
                wanted["sms"] = (sms_settings, {"access_key_id": key_id, "access_key_secret": key_secret})
            for channel in {*args.on, *args.off} - set(wanted):
                wanted[channel] = ({}, {})
            for channel, (settings, secrets) in sorted(wanted.items()):
                enabled = channel not in args.off and (
                    channel in args.on or views.get(channel) is None or views[channel].enabled
                )
                set_channel(
                    session,
                    site_id=site.id,
                    channel=channel,
                    enabled=enabled,
                    settings=settings,
                    secrets=secrets,
                    volunteer_id=None,
                    now=now,
                )
            for channel in args.remove:
                remove_channel(session, site_id=site.id, channel=channel, volunteer_id=None, now=now)
            for kind, enabled in sorted(switches.items()):
                set_notification(session, site_id=site.id, kind=kind, enabled=enabled, volunteer_id=None, now=now)
            code = site.code
    except StoreError as error:
        print(f"refused: {_describe(error)}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    print(f"channels of site {code} saved")
    return _channels_show(args)


def _channels_show(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url or database_url())
    try:
        with read_only(engine) as session:
            site = get_site_by_code(session, code=args.site.strip().upper())
            views = channel_views(session, site_id=site.id)
            switches = notification_switches(session, site_id=site.id)
    except StoreError as error:
        print(f"refused: {_describe(error)}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    print(f"site {site.code} {site.name}")
    if not views:
        print("no channel set up")
    for view in views:
        state = "on" if view.enabled else "off"
        print(f"{view.channel}: {state}, changed {to_local(view.updated_at):%Y-%m-%d %H:%M}")
        for name, value in sorted(view.settings.items()):
            if isinstance(value, dict):
                value = ", ".join(f"{kind}={code}" for kind, code in sorted(value.items())) or "-"
            print(f"  {name}: {value}")
        for name, last_four in sorted(view.secret_last_fours.items()):
            print(f"  {name}: …{last_four}")
    print("notifications: " + ", ".join(f"{kind} {'on' if on else 'off'}" for kind, on in switches.items()))
    return EXIT_OK


def _pairs(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise ValueError(f"{item!r} is not NAME=VALUE")
        pairs[name.strip()] = value.strip()
    return pairs


def _on_off(value: str) -> bool:
    if value not in ("on", "off"):
        raise ValueError(f"{value!r} is neither on nor off")
    return value == "on"


def _secret(value: str | None) -> str | None:
    """A secret option: as given, or `-` for the first line of stdin (kept out of the shell's history)."""
    if value != "-":
        return value
    return sys.stdin.readline().strip()


def _print_counts(tables: tuple[TableCount, ...]) -> None:
    width = max([len("total"), *(len(table.name) for table in tables)])
    print(f"{'table':<{width}}  {'rows':>9}  checksum (SHA-256 sum, first 16)")
    for table in tables:
        print(f"{table.name:<{width}}  {table.rows:>9}  {table.checksum[:16]}")
    print(f"{'total':<{width}}  {sum(table.rows for table in tables):>9}")


def _read_password(*, from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("organizer password: ")
    if getpass.getpass("again: ") != first:
        print("refused: the two passwords differ", file=sys.stderr)
        return None
    return first


_MESSAGES = {
    "error.site_code_taken": "site code {code} is already taken",
    "error.site_code_and_name_required": "a site code and a name are required",
    "error.username_taken": "username {username} is already taken",
    "error.username_format": "a username is 3–50 of a–z, 0–9, '_', '.', '-'",
    "error.password_too_short": "the password needs at least {minimum} characters",
    "error.name_required": "the organizer's name is required",
    "error.site_not_found": "no site has this code",
    "error.invalid_value": "{field} has a value the store refuses",
    "error.not_found": "not found: {channel}",
}


def _describe(error: StoreError) -> str:
    template = _MESSAGES.get(error.key)
    # A value the error does not carry shows as "…" rather than failing the command's last words.
    return template.format_map(collections.defaultdict(lambda: "…", error.params)) if template else str(error)


if __name__ == "__main__":
    sys.exit(main())
