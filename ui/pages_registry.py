"""The one list of pages: file, URL, title, menu section and who may see each (app.py and the tests read it)."""

from __future__ import annotations

from dataclasses import dataclass

PUBLIC = "public"  # nobody signed in: a resident on their phone, or the tablet between volunteers
VOLUNTEER = "volunteer"  # signed in on the tablet with a PIN
ORGANIZER = "organizer"  # signed in with username and password, holds the organizer role
AUDIENCES = (PUBLIC, VOLUNTEER, ORGANIZER)

# Organizers may do everything a volunteer on duty does.
STAFF = frozenset({VOLUNTEER, ORGANIZER})
ORGANIZERS = frozenset({ORGANIZER})


@dataclass(frozen=True)
class PageSpec:
    name: str
    section: str
    audiences: frozenset[str]
    icon: str

    @property
    def path(self) -> str:
        return f"pages/{self.name}.py"

    @property
    def url_path(self) -> str:
        return self.name

    @property
    def title_key(self) -> str:
        return f"page.{self.name}.title"

    @property
    def intro_key(self) -> str:
        return f"page.{self.name}.intro"

    @property
    def section_key(self) -> str:
        return f"nav.section.{self.section}"


# In menu order; sections appear in the order of their first page.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("desk", "desk", STAFF, ":material/storefront:"),
    PageSpec("arrivals", "desk", STAFF, ":material/local_shipping:"),
    PageSpec("temperatures", "desk", STAFF, ":material/thermostat:"),
    PageSpec("my_shifts", "desk", STAFF, ":material/event_available:"),
    PageSpec("notices", "desk", STAFF, ":material/campaign:"),
    PageSpec("overdue_calls", "desk", STAFF, ":material/phone_in_talk:"),
    PageSpec("dashboard", "manage", ORGANIZERS, ":material/dashboard:"),
    PageSpec("orders", "manage", ORGANIZERS, ":material/receipt_long:"),
    PageSpec("manifest", "manage", ORGANIZERS, ":material/upload_file:"),
    PageSpec("storage", "manage", ORGANIZERS, ":material/kitchen:"),
    PageSpec("slot_list", "manage", ORGANIZERS, ":material/print:"),
    PageSpec("labels", "manage", ORGANIZERS, ":material/qr_code_2:"),
    PageSpec("roster", "manage", ORGANIZERS, ":material/calendar_month:"),
    PageSpec("volunteers", "manage", ORGANIZERS, ":material/groups:"),
    PageSpec("site_rules", "manage", ORGANIZERS, ":material/rule:"),
    PageSpec("outbox", "manage", ORGANIZERS, ":material/outbox:"),
    PageSpec("channels", "manage", ORGANIZERS, ":material/notifications:"),
    PageSpec("reports", "manage", ORGANIZERS, ":material/bar_chart:"),
    PageSpec("daily_report", "manage", ORGANIZERS, ":material/summarize:"),
    PageSpec("reconciliation", "manage", ORGANIZERS, ":material/fact_check:"),
    PageSpec("audit", "manage", ORGANIZERS, ":material/history:"),
    PageSpec("access_records", "manage", ORGANIZERS, ":material/visibility:"),
    PageSpec("resident_data", "manage", ORGANIZERS, ":material/person_search:"),
    PageSpec("backup", "manage", ORGANIZERS, ":material/backup:"),
    # Residents see their order status; organizers may look at what residents see.
    PageSpec("status", "residents", frozenset({PUBLIC, ORGANIZER}), ":material/search:"),
    PageSpec("sign_in", "account", frozenset({PUBLIC}), ":material/login:"),
    PageSpec("account", "account", STAFF, ":material/manage_accounts:"),
    PageSpec("devices", "account", ORGANIZERS, ":material/devices:"),
)

# The page each audience lands on.
HOME = {PUBLIC: "status", VOLUNTEER: "desk", ORGANIZER: "dashboard"}
SIGN_IN_PAGE = "sign_in"


def page_spec(name: str) -> PageSpec:
    for spec in PAGES:
        if spec.name == name:
            return spec
    raise KeyError(name)


def pages_for(audience: str) -> list[PageSpec]:
    return [spec for spec in PAGES if audience in spec.audiences]
