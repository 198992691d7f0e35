"""Cloud Basket's entry point: `streamlit run app.py`; the shell itself is ui/shell.py so pages can rely on it."""

from ui.shell import run_app

run_app()
