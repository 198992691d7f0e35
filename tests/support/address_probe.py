"""A one-line Streamlit page for tests/browser/test_client_address_browser.py: which client the throttling counts
this request as (ui.session.client_address), served by a real `streamlit run` so uvicorn's own handling of
X-Forwarded-For is in play."""

import streamlit as st

from ui.session import client_address

st.text(f"client={client_address()}")
