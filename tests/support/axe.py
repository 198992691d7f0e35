"""axe-core in the browser tests: where its script is, how CI gets it (`python -m tests.support.axe`, run by .ci/run:
`npm pack` of a pinned version, its integrity checked), and how a test runs it on a page and keeps apart what
Streamlit's own markup causes (listed here, each with its reason) from what the app draws."""

from __future__ import annotations

import base64
import hashlib
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.support.paths import ROOT

if TYPE_CHECKING:  # for the annotations: playwright may be missing where browser_missing() says so
    from playwright.sync_api import Page

AXE_VERSION = "4.14.1"
# `npm view axe-core@4.14.1 dist.integrity`: the tarball is checked against it before anything is taken from it.
AXE_INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
# Not in git (build/ is ignored): .ci/run installs it, and so does a developer with the same command.
AXE_DIR = ROOT / "build" / f"axe-core-{AXE_VERSION}"
AXE_SCRIPT = AXE_DIR / "axe.min.js"
INSTALL_COMMAND = "python -m tests.support.axe"

# WCAG 2.1 A and AA plus axe's best practices (heading order, landmarks, a page's one main heading).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@dataclass(frozen=True)
class StreamlitMarkup:
    """A violation Streamlit's own markup causes: the axe rule, a CSS selector its element matches, and why it is not
    ours to fix."""

    rule: str
    selector: str
    reason: str
    # False where a walk may not meet it every time (AxeLog.never_met leaves it out).
    every_walk: bool = True


# Every violation the app cannot fix from its own code. A violation on an element matching none of these fails the
# test: fix it in the app, or, when Streamlit draws it, add it here with the reason.
STREAMLIT_MARKUP: tuple[StreamlitMarkup, ...] = (
    StreamlitMarkup(
        "list",
        '[data-testid="stSidebarNavItems"]',
        "Streamlit 1.67's sidebar menu (st.navigation) puts a <div> around each <li> inside its <ul>; no parameter or"
        " style changes the menu's markup. Its links still read as links.",
    ),
    StreamlitMarkup(
        "listitem",
        '[data-testid="stSidebarNavItems"] li',
        "The same menu: each <li> has that <div>, not the <ul>, as its parent.",
    ),
    StreamlitMarkup(
        "presentation-role-conflict",
        '[data-testid="stFileUploaderDropzone"]',
        "st.file_uploader's drop zone is a <section role=presentation> with an aria-label (the app's label) and"
        " tabindex=-1; no parameter changes it. The upload button inside it is what the keyboard reaches.",
        # One walk in six here did not meet it: the upload box is drawn by code Streamlit loads on first use, and
        # axe can read the idle page before it is there.
        every_walk=False,
    ),
    StreamlitMarkup(
        "aria-dialog-name",
        '[data-testid="stToast"]',
        "st.toast draws a react-aria toast, role=alertdialog, whose aria-labelledby names an id it never renders;"
        " st.toast takes no label and the app cannot reach the toast's markup. Its words are inside it, in the"
        " reader's language.",
    ),
)


def axe_missing() -> str | None:
    """Why the axe-core script is not there, or None when it is."""
    if AXE_SCRIPT.is_file():
        return None
    return f"axe-core {AXE_VERSION} is not installed at {AXE_SCRIPT.relative_to(ROOT)} (run `{INSTALL_COMMAND}`)"


def install(*, timeout: float = 120) -> pathlib.Path:
    """`npm pack axe-core@AXE_VERSION`, its integrity checked, and its axe.min.js and licence put in AXE_DIR."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is missing (apt-get install npm)")
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [npm, "pack", f"axe-core@{AXE_VERSION}", "--pack-destination", scratch, "--silent"],
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
        )
        (tarball,) = pathlib.Path(scratch).glob("axe-core-*.tgz")
        algorithm, expected = AXE_INTEGRITY.split("-", 1)
        digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
        if digest != expected:
            raise SystemExit(f"{tarball.name}: integrity {algorithm}-{digest} is not the pinned {AXE_INTEGRITY}")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for name in ("axe.min.js", "LICENSE"):
                member = archive.extractfile(f"package/{name}")
                assert member is not None, name
                (AXE_DIR / name).write_bytes(member.read())
    return AXE_SCRIPT


# Runs axe on the whole document and says, for each failing node, whether a listed Streamlit selector matches it.
_RUN_AXE_JS = """
async ({tags, known, within, outside}) => {
  const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
  const context = within ? {include: [within]} : outside ? {exclude: [outside]} : document;
  const result = await axe.run(context, options);
  const found = [];
  for (const violation of result.violations) {
    for (const node of violation.nodes) {
      const target = node.target.length === 1 ? node.target[0] : null;
      const element = typeof target === 'string' ? document.querySelector(target) : null;
      const entry = known.findIndex(([rule, selector]) => rule === violation.id && element?.matches(selector));
      found.push({rule: violation.id, target: node.target.join(' >>> '), html: node.html.slice(0, 160),
                  summary: (node.failureSummary || '').split('\\n').slice(1, 2).join('').trim(), entry});
    }
  }
  return found;
}
"""


@dataclass(frozen=True)
class AxeFinding:
    rule: str
    target: str
    html: str
    summary: str
    entry: int  # its place in STREAMLIT_MARKUP, or -1 when the app's

    @property
    def listed(self) -> bool:
        return self.entry >= 0

    def line(self, where: str) -> str:
        return f"{where}: {self.rule} {self.target} {self.summary} {self.html}"


def run_axe(page: Page, *, within: str | None = None, outside: str | None = None) -> list[AxeFinding]:
    """Every axe violation on `page` (a playwright Page), or only inside the elements matching the CSS selector
    `within`, or only outside those matching `outside`; the script is injected once per document."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    known = [[entry.rule, entry.selector] for entry in STREAMLIT_MARKUP]
    found = page.evaluate(_RUN_AXE_JS, {"tags": AXE_TAGS, "known": known, "within": within, "outside": outside})
    return [AxeFinding(**finding) for finding in found]


@dataclass
class AxeLog:
    """What axe found over a walk of pages: the violations not listed, as lines, and the listed entries met."""

    unlisted: list[str] = field(default_factory=list)
    listed_met: set[int] = field(default_factory=set)

    def check(self, page: Page, where: str, *, within: str | None = None, outside: str | None = None) -> None:
        """Run axe on `page` (see run_axe) and keep what it found under `where`."""
        for finding in run_axe(page, within=within, outside=outside):
            if finding.listed:
                self.listed_met.add(finding.entry)
            else:
                self.unlisted.append(finding.line(where))

    def never_met(self) -> list[str]:
        """Listed entries no page showed: Streamlit fixed them, or the walk lost the page that has them."""
        return [
            f"{entry.rule} {entry.selector}"
            for index, entry in enumerate(STREAMLIT_MARKUP)
            if entry.every_walk and index not in self.listed_met
        ]


if __name__ == "__main__":
    print(f"axe-core {AXE_VERSION}: {install().relative_to(ROOT)}", file=sys.stderr)
