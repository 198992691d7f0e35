"""What a browser test reads off a rendered page: the size of every visible control, and the visible words."""

from __future__ import annotations

# Everything a finger can hit. A checkbox's or radio's own input is drawn hidden: its label is the target.
_SMALL_TARGETS_JS = """
(minimum) => {
  const selector = 'button, a[href], input:not([type=hidden]), select, textarea, summary, [role=tab], [role=button],'
    + ' [role=combobox], [role=switch], [role=checkbox], [role=radio], [role=link]';
  const small = [];
  for (const element of document.querySelectorAll(selector)) {
    let target = element;
    if (element.matches('input[type=checkbox], input[type=radio], input[type=file]')) {
      target = element.closest('label, [data-testid=stFileUploaderDropzone]') || element;
    }
    // Streamlit's "skip to main content" link is drawn 1 px wide until the keyboard focuses it.
    if (target.closest('[data-testid=stSkipToContent]')) continue;
    const box = target.getBoundingClientRect();
    const style = getComputedStyle(target);
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
    if (box.width < minimum || box.height < minimum) {
      const owner = target.closest('[data-testid]');
      const name = target.getAttribute('aria-label') || (target.innerText || '').trim().split('\\n').pop();
      const size = `${Math.round(box.width)}x${Math.round(box.height)}`;
      small.push(`${owner ? owner.dataset.testid : target.tagName} "${name}" ${size}`);
    }
  }
  return small;
}
"""

# The words a reader sees: text nodes whose element is drawn (not display:none, hidden, transparent or of font size
# 0), plus the words a style sheet puts in ::before / ::after. Canvas tables draw no text nodes; icon ligatures and
# code (commands, file names) are left out.
_VISIBLE_TEXT_JS = """
() => {
  const drawn = (element) => {
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') return false;
    }
    const box = element.getBoundingClientRect();
    return box.width > 1 && box.height > 1;
  };
  const legible = (style) => parseFloat(style.fontSize) > 0 && style.color !== 'rgba(0, 0, 0, 0)';
  const words = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    // Icons are ligatures of the Material Symbols font ("thermostat"); commands are code, not words.
    if (!text || !parent || parent.closest('style, script, noscript, code, [data-testid=stIconMaterial]')) continue;
    if (getComputedStyle(parent).fontFamily.includes('Material')) continue;
    if (legible(getComputedStyle(parent)) && drawn(parent)) words.push(text);
  }
  for (const element of document.body.querySelectorAll('*')) {
    for (const where of ['::before', '::after']) {
      const style = getComputedStyle(element, where);
      const content = style.content;
      if (content && content.startsWith('"') && content.length > 2 && legible(style) && drawn(element)) {
        words.push(JSON.parse(content));
      }
    }
  }
  return words;
}
"""


def small_targets(page, *, minimum: int = 48) -> list[str]:
    """Visible controls on `page` (a playwright Page) smaller than `minimum` px either way, as readable lines."""
    return page.evaluate(_SMALL_TARGETS_JS, minimum)


def visible_words(page) -> list[str]:
    """Every piece of text `page` draws, in document order (icon ligatures left out)."""
    return page.evaluate(_VISIBLE_TEXT_JS)
