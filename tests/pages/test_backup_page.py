"""The backup page: an organizer makes a backup, sees every table's count and gets the archive to download."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from db.core.engine import make_engine, unit_of_work
from db.core.models import Event
from tests.support.app_data import AppData
from tests.support.pages import new_app
from ui.i18n import translate
from ui.pages_registry import ORGANIZER, page_spec


def test_an_organizer_makes_a_backup_and_sees_every_tables_count(writable_app_env: AppData):
    at = new_app(writable_app_env, audience=ORGANIZER, language="en").switch_page(page_spec("backup").path).run()
    assert not at.exception
    assert translate("en", "backup.sensitive") in [element.value for element in at.warning]
    at.button(key="backup_make").click().run()
    assert not at.exception

    counts = at.dataframe[0].value
    assert dict(zip(counts["Table"], counts["Count"], strict=True))["orders"] == 1
    assert "lookup_attempts" not in set(counts["Table"])
    # The archive offered for download is the one the counts describe.
    button = at.get("download_button")[0]
    assert button.proto.label == translate("en", "backup.download")
    with unit_of_work(make_engine(writable_app_env.url)) as session:
        made = session.scalars(select(Event).where(Event.action == "backup.made")).all()
    assert [(event.actor_id, event.after["count"]) for event in made] == [
        (writable_app_env.organizer.volunteer_id, int(counts["Count"].sum()))
    ]


def test_the_archive_in_the_session_restores(writable_app_env: AppData):
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page(page_spec("backup").path).run()
    at.button(key="backup_make").click().run()
    summary, data = at.session_state["backup_made"]
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("manifest.json"))
    assert [(entry["name"], entry["rows"]) for entry in manifest["tables"]] == [
        (table.name, table.rows) for table in summary.tables
    ]
