"""The first-visit figures' floor (bench.first_visit): the least Streamlit app whose second page is opened from the
menu, as the app's pages are, with a heading and a text box on it. Served by a second `streamlit run` beside the
app's, with the app's settings (so the menu is switched on as ui/shell.py does)."""

import streamlit as st


def start() -> None:
    st.title("start")


def floor() -> None:
    st.title("floor")
    st.text_input("box")


st.set_option("client.showSidebarNavigation", True)
st.navigation([st.Page(start, title="start", default=True), st.Page(floor, title="floor page")]).run()
