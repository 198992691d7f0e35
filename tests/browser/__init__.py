"""Browser tests: Chromium through Playwright against `streamlit run app.py` (marked `browser`)."""
