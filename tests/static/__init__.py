"""Static checks over the source tree: layers, language catalogs, docs, what must never leak, test layout."""
