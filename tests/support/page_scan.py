"""What a browser test reads off a rendered page: the size of every visible control, and the visible words."""

from __future__ import annotations

from typing import Any

# Everything a finger can hit. A checkbox's or radio's own input is drawn hidden: its label is the target.
_SMALL_TARGETS_JS = """
(minimum) => {
  const selector = 'button, a[href], input:not([type=hidden]), select, textarea, summary, [role=tab], [role=button],'
    + ' [role=combobox], [role=switch], [role=checkbox], [role=radio], [role=link], [role=option]';
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
    // Drawn for screen readers only inside a clipped-away box (the name list's "Dismiss"): no finger can hit it.
    const holder = target.parentElement ? getComputedStyle(target.parentElement) : style;
    if ([style, holder].some((drawn) => drawn.clipPath === 'inset(50%)')) continue;
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


# 长辈模式's measures (issue 22): every drawn text's computed size and its contrast against the colours behind it
# (each ancestor's background composed over white, the text's own alpha and opacity over that), a text field's typed
# words and placeholder too; and every control's box as small_targets finds them. What Streamlit draws as its own
# chrome (the header and its toolbar, the keyboard's skip link, the sidebar's resize handle) is marked apart.
_ELDER_MEASURES_JS = """
() => {
  const CHROME = '[data-testid=stHeader], [data-testid=stToolbar], [data-testid=stDecoration],'
    + ' [data-testid=stSkipToContent], [data-testid=stSidebarResizeHandle]';
  const rgba = (text) => {
    const parts = (text.match(/[\\d.]+/g) || ['0', '0', '0', '0']).map(Number);
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const background = (element) => {
    const layers = [];
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour.a > 0) layers.push(colour);
      if (colour.a >= 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), { r: 255, g: 255, b: 255, a: 1 });
  };
  const opacity = (element) => {
    let value = 1;
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      value *= parseFloat(getComputedStyle(node).opacity);
    }
    return value;
  };
  const luminance = (c) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  };
  const contrast = (element, colourText) => {
    const behind = background(element);
    const colour = rgba(colourText);
    colour.a *= opacity(element);
    const front = over(colour, behind);
    const [light, dark] = [luminance(front), luminance(behind)].sort((x, y) => y - x);
    return Math.round(((light + 0.05) / (dark + 0.05)) * 100) / 100;
  };
  const drawn = (element) => {
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.display === 'none' || style.visibility === 'hidden' || style.opacity === '0') return false;
    }
    const box = element.getBoundingClientRect();
    return box.width > 1 && box.height > 1;
  };
  const where = (element) => {
    const owner = element.closest('[data-testid]');
    const side = element.closest('[data-testid=stSidebar]') ? 'sidebar ' : '';
    return side + (owner ? owner.dataset.testid : element.tagName);
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || !parent || parent.closest('style, script, noscript, [data-testid=stIconMaterial]')) continue;
    const style = getComputedStyle(parent);
    if (style.fontFamily.includes('Material') || parseFloat(style.fontSize) === 0) continue;
    if (style.color === 'rgba(0, 0, 0, 0)' || !drawn(parent)) continue;
    const lineHeight = style.lineHeight === 'normal' ? null : parseFloat(style.lineHeight) / parseFloat(style.fontSize);
    texts.push({ text: text.slice(0, 40), size: parseFloat(style.fontSize), contrast: contrast(parent, style.color),
                 line: lineHeight, where: where(parent), chrome: !!parent.closest(CHROME) });
  }
  const fields = 'input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea';
  for (const input of document.querySelectorAll(fields)) {
    if (!drawn(input)) continue;
    const style = getComputedStyle(input);
    if (input.value) {
      texts.push({ text: `[${input.type}] ${input.value}`.slice(0, 40), size: parseFloat(style.fontSize),
                   contrast: contrast(input, style.color), line: null, where: where(input), chrome: false });
    } else if (input.placeholder) {
      const hint = getComputedStyle(input, '::placeholder');
      texts.push({ text: `[placeholder] ${input.placeholder}`.slice(0, 40), size: parseFloat(hint.fontSize),
                   contrast: contrast(input, hint.color), line: null, where: where(input), chrome: false });
    }
  }
  const selector = 'button, a[href], input:not([type=hidden]), select, textarea, summary, [role=tab], [role=button],'
    + ' [role=combobox], [role=switch], [role=checkbox], [role=radio], [role=link], [role=option]';
  const controls = [];
  for (const element of document.querySelectorAll(selector)) {
    let target = element;
    if (element.matches('input[type=checkbox], input[type=radio], input[type=file]')) {
      target = element.closest('label, [data-testid=stFileUploaderDropzone]') || element;
    }
    if (!drawn(target)) continue;
    const box = target.getBoundingClientRect();
    const name = target.getAttribute('aria-label') || (target.innerText || '').trim().split('\\n').pop();
    controls.push({ name: `${where(target)} "${name.slice(0, 30)}"`, width: Math.round(box.width),
                    height: Math.round(box.height), chrome: !!target.closest(CHROME) });
  }
  // The primary actions on screen (a form's submit button too): elder mode wants one per step.
  const primaries = [...document.querySelectorAll('button[kind^=primary]')]
    .filter((button) => drawn(button) && !button.closest(CHROME))
    .map((button) => (button.innerText || '').trim());
  // Status never by colour alone: each alert drawn starts with a sign (the style sheet's ::before) before its words.
  const unsigned = [...document.querySelectorAll('[data-testid^=stAlertContent]')]
    .filter((alert) => drawn(alert))
    .filter((alert) => {
      const first = alert.querySelector('[data-testid=stMarkdownContainer] > p');
      const sign = first ? getComputedStyle(first, '::before').content : 'none';
      return !sign || sign === 'none' || sign === 'normal';
    })
    .map((alert) => (alert.innerText || '').trim().slice(0, 40));
  return { texts, controls, primaries, unsigned };
}
"""


def elder_measures(page) -> dict[str, list[Any]]:
    """Every drawn text (size, contrast, line height, where) and control box (name, width, height) on `page`, each
    marked `chrome` when Streamlit draws it as its own frame (see _ELDER_MEASURES_JS), the primary buttons' words,
    and the alerts drawn without a sign before their words."""
    measures: dict[str, list[Any]] = page.evaluate(_ELDER_MEASURES_JS)
    return measures
