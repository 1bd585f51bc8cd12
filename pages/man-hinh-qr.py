"""/man-hinh-qr on the first visits after a server start: app/ui/core/entry.py."""
from app.ui.core.entry import run_entry_script

run_entry_script()
