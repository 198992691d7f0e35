"""Command line of the store: `upgrade` the schema, `init-site` for a real pickup point, `revision` for developers."""

from __future__ import annotations

import argparse
import getpass
import pathlib
import sys
import tempfile

from db.accounts import create_organizer_account, create_volunteer
from db.clock import utc_now
from db.engine import database_url, make_engine, unit_of_work
from db.errors import StoreError
from db.migrate import current_heads, upgrade_to_head, write_revision
from db.sites import create_site

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m db", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    upgrade = commands.add_parser("upgrade", help="bring the schema to the newest migration")
    upgrade.set_defaults(run=_upgrade)

    init_site = commands.add_parser(
        "init-site", help="create a pickup point and its first organizer (how a real site starts)",
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

    revision = commands.add_parser(
        "revision", help="write a new migration from the difference between the models and the newest schema",
    )
    revision.add_argument("-m", "--message", required=True)
    revision.set_defaults(run=_revision)

    for command in (upgrade, init_site):
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
                session, site_id=site.id, name=args.organizer_name, phone=args.phone,
                roles=("organizer", "receiving", "handout", "cold_check"), now=now,
            )
            create_organizer_account(session, volunteer_id=organizer.id, username=args.username, password=password,
                                     now=now, actor_id=organizer.id)
            code, name, username = site.code, site.name, args.username.strip().lower()
    except StoreError as error:
        print(f"refused: {_describe(error)}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        engine.dispose()
    print(f"site {code} {name} created; organizer signs in as {username}")
    return EXIT_OK


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
}


def _describe(error: StoreError) -> str:
    template = _MESSAGES.get(error.key)
    return template.format(**error.params) if template else str(error)


if __name__ == "__main__":
    sys.exit(main())
