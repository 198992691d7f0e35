"""The outbox (organizers): every message the app sent, is due to send, could not send or copied for a WeChat
group, filtered by status, channel and day; one message's text and the provider's answer; retry a failed or
unknown one, cancel a due one. Recipients are masked."""

from db.core.clock import utc_now
from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.views.outbox.messages import outbox_list, runner_notice
from ui.widgets import page_header

user = require_role(ORGANIZER)
page_header("outbox")
runner_notice(site_id=user.site_id, now=utc_now())
outbox_list(user)
