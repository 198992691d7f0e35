"""The README keeps up with the code: every screen and every command is described there."""

from __future__ import annotations

import re

from tests.support.paths import ROOT
from ui.i18n import translate
from ui.pages_registry import PAGES, SIGN_IN_PAGE

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_screen_is_in_the_readme_by_its_chinese_and_english_name():
    for spec in PAGES:
        if spec.name == SIGN_IN_PAGE:
            continue
        assert f"{translate('zh-CN', spec.title_key)} {translate('en', spec.title_key)}" in README, spec.name


def test_every_command_is_in_the_readme():
    for package, module in (("db", "cli/main.py"), ("seed", "seed/__main__.py")):
        source = (ROOT / module).read_text(encoding="utf-8")
        for command in re.findall(r"add_parser\(\s*\"([a-z-]+)\"", source):
            assert f"python -m {package} {command}" in README, (package, command)
