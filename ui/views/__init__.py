"""The screens' parts, by the store's domain (orders, cold_chain, people, roster): what one screen or a family of
screens draws. What every screen shares (the shell, the guard, the translator, widgets) sits in ui/ itself."""
