"""Page tests: app.py and pages/ under Streamlit's AppTest, against a prepared SQLite file (marked `page`)."""
