"""The organizer's dashboard: readings due, whether the message runner runs, today's cards, the district's sites,
tomorrow's forecast, two weeks of pickups and overdue bags."""

import datetime as dt

from db.core.clock import local_today, utc_now
from db.reports.figures import overdue_trend_frame, pickups_by_day_frame
from ui.charts import overdue_trend_chart, pickups_by_day_chart, show_chart
from ui.guard import require_role
from ui.i18n import t
from ui.kpis import district_view, kpi_strip, this_minute
from ui.pages_registry import ORGANIZER
from ui.signed_in import acting_site_id
from ui.store import cached_read
from ui.views.cold_chain.due_readings import due_readings_notice
from ui.views.forecast.tomorrow import tomorrow_section
from ui.views.outbox.messages import runner_notice
from ui.widgets import page_header

user = require_role(ORGANIZER)

DAYS_SHOWN = 14
page_header("dashboard")
site_id = acting_site_id()
due_readings_notice(site_id=site_id)
# Where the site sends messages: whether the runner that sends them still runs.
runner_notice(site_id=site_id, now=utc_now())
kpi_strip(site_id)
district_view(user.volunteer_id)
# Tomorrow: bags by storage class, slots short, hands needed (the forecast, read once an hour).
tomorrow_section(site_id)

today = local_today()
first_day = today - dt.timedelta(days=DAYS_SHOWN - 1)
show_chart(
    pickups_by_day_chart,
    cached_read(pickups_by_day_frame, site_id=site_id, start=first_day, end=today),
    title=t("chart.pickups_by_day"),
)
show_chart(
    overdue_trend_chart,
    cached_read(overdue_trend_frame, site_id=site_id, start=first_day, end=today, now=this_minute()),
    title=t("chart.overdue_trend"),
)
