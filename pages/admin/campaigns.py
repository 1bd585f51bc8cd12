"""Campaigns: the list and the active one, create and edit (admin), and earlier campaigns'
results side by side (year-on-year per commune)."""
from app.ui.admin.campaigns_view import render
from app.ui.core.session import require_page

render(require_page("campaigns"))
