"""The tests, by layer: store/<domain>/, pages/ (AppTest), browser/ (Chromium), static/, ui/; helpers in support/."""
