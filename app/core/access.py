"""Which roles may open which page. streamlit_app.py builds the navigation from this table,
and every page checks it again (``app.ui.session.require_page``), so a forged URL changes nothing.

Add a page here once; the navigation, the access tests and the page guard all read this table.
"""
from __future__ import annotations

from dataclasses import dataclass

PUBLIC = "public"
ALL_STAFF = ("admin", "province", "farmers", "district", "commune")


@dataclass(frozen=True)
class PageSpec:
    key: str          # stable id, also the i18n key "nav.<key>" for its title
    path: str         # pages/<section>/<name>.py (English name; pages/<url_path>.py is its door)
    url_path: str     # the URL the page answers on
    icon: str
    roles: tuple[str, ...]  # PUBLIC for everyone, or the staff roles allowed
    section: str      # navigation group (i18n key "nav.section.<section>")
    default: bool = False
    show_signed_in: bool = True  # list it in the menu of signed-in users
    # wide layout; the entry script sets the layout once per run from this flag (Streamlit's
    # frontend drops a second, different layout sent in the same run on every other rerun)
    wide: bool = False


PAGES: list[PageSpec] = [
    PageSpec("home", "pages/public/home.py", "", ":material/home:", (PUBLIC,), "public", default=True),
    PageSpec("survey", "pages/public/survey.py", "survey", ":material/assignment:", (PUBLIC,), "public"),
    PageSpec("login", "pages/public/sign_in.py", "dang-nhap", ":material/login:", (PUBLIC,), "public",
             show_signed_in=False),
    # commune operations (issue 3)
    PageSpec("schedule", "pages/public/schedule.py", "lich-truc", ":material/event_note:", (PUBLIC,),
             "public"),
    PageSpec("roster", "pages/commune/roster.py", "danh-sach-ho-tro", ":material/groups:", ("commune",),
             "commune", wide=True),
    PageSpec("report", "pages/commune/report.py", "bao-cao-ngay", ":material/edit_note:", ("commune",),
             "commune"),
    PageSpec("feed", "pages/monitor/feed.py", "hoat-dong", ":material/dynamic_feed:",
             ("admin", "province", "farmers", "district"), "monitor"),
    # live dashboards, map, warnings, results and exports (issue 4)
    PageSpec("overview", "pages/monitor/overview.py", "tong-quan", ":material/monitoring:",
             ("admin", "province", "farmers", "district"), "monitor", wide=True),
    PageSpec("map", "pages/monitor/map.py", "ban-do", ":material/map:",
             ("admin", "province", "farmers", "district"), "monitor", wide=True),
    PageSpec("warnings", "pages/monitor/warnings.py", "canh-bao", ":material/warning:",
             ("admin", "province", "farmers", "district"), "monitor", wide=True),
    PageSpec("results", "pages/monitor/results.py", "ket-qua", ":material/leaderboard:",
             ("admin", "province", "farmers", "district", "commune"), "monitor", wide=True),
    PageSpec("completeness", "pages/monitor/completeness.py", "tien-do-bao-cao", ":material/fact_check:",
             ("admin", "province", "farmers", "district"), "monitor", wide=True),
    # the one-stop office's dossier counts, an independent count of visits (issue 12)
    PageSpec("dossiers", "pages/monitor/dossiers.py", "ho-so-mot-cua", ":material/inventory_2:",
             ("admin", "province", "district"), "monitor", wide=True),
    PageSpec("rosters_overview", "pages/monitor/rosters_overview.py", "tong-hop-danh-sach",
             ":material/contact_page:", ("admin", "province", "farmers", "district"), "monitor",
             wide=True),
    PageSpec("inspectors", "pages/monitor/inspectors.py", "doan-kiem-tra", ":material/badge:",
             ("admin", "province", "farmers", "district"), "monitor", wide=True),
    PageSpec("account", "pages/admin/account.py", "tai-khoan", ":material/person:", ALL_STAFF, "admin"),
    PageSpec("qr", "pages/admin/qr.py", "ma-qr", ":material/qr_code_2:", ("admin", "province"),
             "admin"),
    # nominations and low-code administration (issue 5)
    PageSpec("nominations", "pages/board/nominations.py", "de-xuat-khen-thuong",
             ":material/military_tech:", ("admin", "province", "farmers"), "board", wide=True),
    PageSpec("questionnaire", "pages/admin/questionnaire.py", "bang-hoi", ":material/quiz:",
             ("admin",), "admin", wide=True),
    PageSpec("users", "pages/admin/users.py", "nguoi-dung", ":material/manage_accounts:",
             ("admin",), "admin", wide=True),
    PageSpec("campaigns", "pages/admin/campaigns.py", "dot-khao-sat", ":material/event:",
             ("admin", "province"), "admin", wide=True),
    PageSpec("audit", "pages/admin/audit.py", "nhat-ky", ":material/history:", ("admin",),
             "admin", wide=True),
    # the office screen: a QR code that changes for every citizen (issue 15); the screen-only
    # role opens this page and nothing else
    PageSpec("screen", "pages/commune/screen.py", "man-hinh-qr", ":material/qr_code_scanner:",
             ("commune", "screen"), "commune", wide=True),
    # read API tokens (issue 17)
    PageSpec("api_tokens", "pages/admin/api_tokens.py", "khoa-api", ":material/key:", ("admin",),
             "admin", wide=True),
]


# Where a signed-in user lands (first page of this list that the role may open).
START_PAGES = ("report", "overview", "roster", "account", "screen")


def start_page(role: str) -> PageSpec:
    for key in START_PAGES:
        try:
            spec = page(key)
        except KeyError:
            continue
        if role in spec.roles:
            return spec
    return page("home")


def is_public(spec: PageSpec) -> bool:
    return PUBLIC in spec.roles


def allowed(spec: PageSpec, role: str) -> bool:
    return is_public(spec) or role in spec.roles


def after_sign_in(role: str, asked: str | None) -> str:
    """The page key a user lands on after signing in: the page they asked for before, if
    their role may see it, else their role's start page."""
    if asked:
        try:
            spec = page(asked)
        except KeyError:
            spec = None
        if spec is not None and allowed(spec, role) and spec.show_signed_in:
            return spec.key
    return start_page(role).key


def pages_for(role: str) -> list[PageSpec]:
    return [p for p in PAGES if allowed(p, role)]


def page(key: str) -> PageSpec:
    for p in PAGES:
        if p.key == key:
            return p
    raise KeyError(key)
