"""The browser figures' floor (bench.browser): the desk's two gestures on the least Streamlit page that has them — a
text box, the card of what was typed with one button, and the banner with its undo that the button brings. Served
by a second `streamlit run` beside the app's."""

import streamlit as st

code = st.text_input("code", key="code")
if code:
    with st.container(border=True):
        st.markdown(f"### {code}")
        if st.button("hand over", key="hand_over", type="primary", width="stretch"):
            st.success(f"handed over: {code}")
            st.button("undo", key="undo", width="stretch")
