"""QCDC Survey domain: importable and testable without a running Streamlit.

Packages: core, survey, operations, monitoring, board, admin, cli, ui (docs/DEVELOPING.md has
the map). Old flat module paths (``app.campaigns`` ...) still import: see app/_moved.py.
"""
from app import _moved

_moved.install()
