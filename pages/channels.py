"""Channel settings (organizers): the staff group's WeCom robot and the SMS provider (secrets entered here and never
shown again, only their last four characters), which kinds of message go out, and the text of each kind."""

from db.outbox.channels import channel_views, notification_switches
from db.people.sites import get_site_rules
from ui.guard import require_role
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.views.outbox.channels import robot_form, sms_form, switches_form, templates
from ui.widgets import page_header

user = require_role(ORGANIZER)
page_header("channels")

with read_scope() as session:
    views = {view.channel: view for view in channel_views(session, site_id=user.site_id)}
    switches = notification_switches(session, site_id=user.site_id)
    language = get_site_rules(session, site_id=user.site_id).language

robot_form(user, views.get("wecom"))
sms_form(user, views.get("sms"))
switches_form(user, switches, set_up={channel for channel, view in views.items() if view.enabled})
templates(language)
