"""`python -m app.cli ...` (see app/cli/__init__.py)."""
import sys

from app.cli import main

sys.exit(main())
