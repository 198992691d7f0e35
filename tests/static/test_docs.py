"""The README keeps up with the code: every screen and every command is described there."""

from __future__ import annotations

import argparse
import re

from cli.main import _parser
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
    """Every command, a group's with its group (`python -m db jobs run`)."""
    for command in command_names(_parser()):
        assert f"python -m db {command}" in README, command
    source = (ROOT / "seed" / "__main__.py").read_text(encoding="utf-8")
    for command in re.findall(r"add_parser\(\s*\"([a-z-]+)\"", source):
        assert f"python -m seed {command}" in README, command


def command_names(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    names = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                names += command_names(command, f"{prefix}{name} ") or [f"{prefix}{name}"]
    return names


def test_the_readme_shows_the_shipped_nginx_configuration_as_it_is():
    """The README's nginx block is deploy/nginx/cloudbasket.conf, the file the district browser test runs."""
    shipped = (ROOT / "deploy" / "nginx" / "cloudbasket.conf").read_text(encoding="utf-8")
    assert re.findall(r"```nginx\n(.*?)```", README, flags=re.DOTALL) == [shipped]
