""""Copy link": one tap copies the page's address and says so, on a phone as with a mouse.

A button and a few lines of JavaScript in the page itself (st.html with JavaScript allowed, like
keys.py: our own constant text; the words come from the message catalogue and are HTML-escaped). It
copies the browser's own address at the moment of the tap, which app.py keeps equal to the Settings
(Back, Next and playback move `step` in it too, without a full run); the link shown as text follows
it. The Clipboard API needs a secure context (https or localhost); on a classroom LAN over plain http
the page falls back to a selected text area and execCommand("copy").
"""
from __future__ import annotations

import html

import streamlit as st

from ..i18n import Messages

STYLE = """
<style>
.av-copy { display: flex; align-items: center; gap: 0.5rem; width: 100%; }
.av-copy button { flex: 1; min-height: 2.5rem; padding: 0.35rem 0.75rem; border-radius: 0.5rem;
  border: 1px solid rgba(17, 17, 17, 0.2); background: #ffffff; color: #111111; font: inherit; cursor: pointer;
  display: inline-flex; align-items: center; justify-content: center; gap: 0.4rem; touch-action: manipulation; }
.av-copy button:hover { border-color: #1f4e9c; color: #1f4e9c; }
.av-copy button:focus-visible { outline: 2px solid #1f4e9c; outline-offset: 2px; }
.av-copy button.av-done { border-color: #1a7f37; color: #1a7f37; }
.av-copy-note { font-size: 0.85rem; color: #1a7f37; min-height: 1.2em; margin-top: 0.25rem; }
.av-copy-note.av-fail { color: #b42318; }
.av-link { display: block; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.85rem; padding: 0.5rem 0.6rem;
  background: #f6f8fa; color: #111111; border-radius: 0.4rem; user-select: all; }
</style>
"""

SCRIPT = """
<script>
(() => {
  const doc = window.parent === window ? document : window.parent.document;
  const win = doc.defaultView || window;
  const copy = async (text) => {
    try {
      if (win.isSecureContext && win.navigator.clipboard) { await win.navigator.clipboard.writeText(text); return true; }
    } catch (e) { /* fall back below */ }
    const area = doc.createElement("textarea");  // plain http on a LAN: no Clipboard API
    area.value = text; area.setAttribute("readonly", ""); area.style.position = "fixed"; area.style.opacity = "0";
    doc.body.appendChild(area); area.select(); area.setSelectionRange(0, text.length);
    let ok = false;
    try { ok = doc.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  };
  const bind = () => {
    for (const button of doc.querySelectorAll("button.av-copy-button")) {
      if (button.__avBound) continue;
      button.__avBound = true;
      button.addEventListener("click", async () => {
        const note = button.closest(".av-copy-box").querySelector(".av-copy-note");
        const ok = await copy(win.location.href);
        note.textContent = ok ? button.dataset.done : button.dataset.fail;
        note.classList.toggle("av-fail", !ok);
        button.classList.toggle("av-done", ok);
        clearTimeout(button.__avTimer);
        button.__avTimer = setTimeout(() => { note.textContent = ""; button.classList.remove("av-done"); }, 4000);
      });
    }
  };
  bind();
  setTimeout(bind, 300);  // the button may be mounted just after this script
  // The link shown as text (link_html) follows the address too: Back, Next and playback move `step` in
  // it without a full run of the page, so the server's text may be a step behind.
  const follow = () => {
    for (const el of doc.querySelectorAll("code.av-link")) {
      if (el.textContent !== win.location.href) el.textContent = win.location.href;
    }
  };
  follow();
  if (!win.__avLinkFollow) win.__avLinkFollow = win.setInterval(() => follow(), 500);
})();
</script>
"""


def button_html(m: Messages) -> str:
    """The button and its confirmation line (text escaped; the note is read out by screen readers)."""
    esc = lambda key: html.escape(m(key), quote=True)  # noqa: E731
    return (f'{STYLE}<div class="av-copy-box"><div class="av-copy">'
            f'<button type="button" class="av-copy-button" data-done="{esc("controls.link_copied")}" '
            f'data-fail="{esc("controls.link_copy_failed")}" title="{esc("controls.copy_link_help")}">'
            f'{esc("controls.copy_link")}</button></div>'
            f'<div class="av-copy-note" role="status" aria-live="polite"></div></div>')


def link_html(url: str) -> str:
    """The page's link as text to read or select (in the "Share" box): the server writes it, SCRIPT keeps
    it on the browser's address."""
    return f'<code class="av-link">{html.escape(url)}</code>'


def draw(m: Messages) -> None:
    """The "Copy link" button, where the caller is drawing (the sidebar)."""
    st.html(button_html(m) + SCRIPT, unsafe_allow_javascript=True)
