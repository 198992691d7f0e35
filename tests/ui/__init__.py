"""ui/ helpers on their own, without a page or a store: Markdown escaping, the camera scan."""
