"""`python -m db …` keeps working: the command line itself lives in cli/main.py, which may use ui/ for its words.

The one module of db/ allowed to import above the store (tests/static/test_layers.py): it only hands over."""

import sys

from cli.main import main

sys.exit(main())
