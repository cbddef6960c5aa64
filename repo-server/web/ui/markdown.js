/**
 * Markdown as authors know it from GitHub: markdown-it (CommonMark, with GFM tables,
 * strikethrough and autolinks), footnotes, task lists, math between $ signs (as MathML, by
 * Temml) and the inline HTML authors use (H<sub>2</sub>O). markdown-it parses in linear time (its
 * own test suite includes pathological inputs), so no file can freeze the tab.
 *
 * Its HTML is never assigned as markup: DOMPurify parses it in an inert document and hands back a
 * DocumentFragment with scripts, event handlers, styles, forms and dangerous URLs removed. Links
 * and images are then rewritten: links inside the repository stay in this client, images are
 * fetched with the token, and images on other sites become links (loading them would tell those
 * sites who reads what, and the page's policy blocks them anyway).
 */
import MarkdownIt from 'markdown-it';
import footnote from 'markdown-it-footnote';
import { tasklist } from '@mdit/plugin-tasklist';
import { tex } from '@mdit/plugin-tex';
import DOMPurify from 'dompurify';

/** @typedef {{ renderToString(tex: string, options?: { displayMode?: boolean, throwOnError?: boolean }): string }} MathRenderer */

/** Temml, once a document with math needed it (it is the largest library; most files have no math). */
let math = /** @type {MathRenderer | null} */ (null);

/**
 * @param {string} content
 * @param {boolean} displayMode
 */
function renderMath(content, displayMode) {
  if (math === null) return `<code class="math-source">${parser.utils.escapeHtml(content)}</code>`;
  return math.renderToString(content, { displayMode, throwOnError: false });
}

const parser = new MarkdownIt({ html: true, linkify: true })
  .use(footnote)
  .use(tasklist, { disabled: true, label: true })
  .use(tex, { render: renderMath });

/**
 * Whether the source may hold math, so that Temml is worth loading first.
 * @param {string} source
 */
function mayHaveMath(source) {
  return /\$[^$\s]|\\\(|\\\[/.test(source);
}

async function loadMath() {
  if (math === null) math = /** @type {MathRenderer} */ ((await import('temml')).default);
}

/**
 * The HTML markdown-it makes of the source, before sanitising (tests read it in Node).
 * @param {string} source
 */
export function markdownToHtml(source) {
  return parser.render(String(source), {});
}

/**
 * Whether a URL may become an href or src: relative, fragment, http(s) or mailto only.
 * @param {string} url
 * @returns {string|null}
 */
export function safeUrl(url) {
  const trimmed = String(url).replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed);
  if (scheme === null) return String(url).trim();
  return ['http', 'https', 'mailto'].includes(/** @type {string} */ (scheme[1]).toLowerCase()) ? String(url).trim() : null;
}

/** What authored HTML may not bring in, beyond what DOMPurify removes anyway (scripts, handlers). */
const SANITIZE = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: ['style', 'form', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'object', 'embed', 'base', 'link', 'meta', 'dialog', 'template'],
  FORBID_ATTR: ['target', 'formaction', 'srcset', 'ping'],
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
};

let documents = 0;

/**
 * @typedef {{ link: (url: string) => string, image: (src: string, alt: string) => Node }} LinkRewriter
 */

/**
 * The source as DOM nodes, safe to insert.
 * @param {string} source
 * @param {LinkRewriter} rewrite
 * @returns {Promise<DocumentFragment>}
 */
export async function renderMarkdown(source, rewrite) {
  if (mayHaveMath(source)) await loadMath();
  const docId = `md${++documents}`;
  const fragment = /** @type {DocumentFragment} */ (/** @type {unknown} */ (DOMPurify.sanitize(markdownToHtml(source), SANITIZE)));
  // A style could cover the page with a fake form: only a table column's alignment is kept.
  for (const el of fragment.querySelectorAll('[style]')) {
    const align = /^text-align:\s*(left|right|center);?$/.exec(el.getAttribute('style') ?? '');
    el.removeAttribute('style');
    if (align && (el.tagName === 'TH' || el.tagName === 'TD')) /** @type {HTMLElement} */ (el).style.textAlign = /** @type {string} */ (align[1]);
  }
  // Task list boxes show state; nothing else may be an input.
  for (const input of fragment.querySelectorAll('input')) {
    if (input.getAttribute('type') !== 'checkbox') input.remove();
    else input.setAttribute('disabled', '');
  }
  // Ids (the author's, footnotes', task boxes') could collide with the client's own or another
  // document's on the same page: each document's get its prefix, and its anchors follow.
  for (const el of fragment.querySelectorAll('[id]')) el.id = `${docId}-${el.id}`;
  for (const label of fragment.querySelectorAll('label[for]')) label.setAttribute('for', `${docId}-${label.getAttribute('for')}`);
  for (const a of fragment.querySelectorAll('a[href]')) {
    const href = /** @type {string} */ (a.getAttribute('href'));
    const safe = safeUrl(href);
    if (safe === null) {
      a.removeAttribute('href');
      continue;
    }
    if (href.startsWith('#')) {
      const id = `${docId}-${href.slice(1)}`;
      a.setAttribute('href', `#${id}`);
      // The URL's fragment holds this client's route: an in-document anchor moves focus instead.
      a.addEventListener('click', (e) => {
        e.preventDefault();
        const target = document.getElementById(id);
        if (target === null) return;
        target.setAttribute('tabindex', '-1');
        target.focus();
      });
      continue;
    }
    a.setAttribute('href', rewrite.link(safe));
    if (/^[a-z][a-z0-9+.-]*:/i.test(safe)) a.setAttribute('rel', 'noopener noreferrer');
  }
  // The screen's own <h1> is the file's name: the document's headings sit one level below it.
  for (const heading of fragment.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Math.min(6, Number(heading.tagName.slice(1)) + 1);
    const lower = document.createElement(`h${level}`);
    for (const attr of heading.attributes) lower.setAttribute(attr.name, attr.value);
    lower.append(...heading.childNodes);
    heading.replaceWith(lower);
  }
  for (const img of fragment.querySelectorAll('img')) {
    const src = img.getAttribute('src');
    const safe = src === null ? null : safeUrl(src);
    img.replaceWith(safe === null ? document.createTextNode(img.getAttribute('alt') ?? '') : rewrite.image(safe, img.getAttribute('alt') ?? ''));
  }
  return fragment;
}
