/**
 * CNXML modules (the XML of OpenStax/Connexions textbooks) shown readably: sections as headings,
 * paragraphs, lists, emphasis, terms, notes, examples, exercises, figures, CALS tables, links
 * and MathML equations. The XML is parsed by the browser's XML parser and every node of the result
 * is built here with createElement from a fixed mapping, so nothing in a module can become a
 * script, a handler or a dangerous link: elements we do not know keep their text and nothing else.
 */
import { h } from './dom.js';
import { safeUrl } from './markdown.js';

const MATHML = 'http://www.w3.org/1998/Math/MathML';
/** Presentation attributes a MathML element may keep; anything else (href, on*, style) is dropped. */
const MATH_ATTRS = new Set(['display', 'displaystyle', 'mathvariant', 'mathsize', 'stretchy', 'fence', 'separator', 'lspace', 'rspace', 'accent', 'accentunder', 'linethickness', 'scriptlevel', 'columnalign', 'rowalign', 'columnspan', 'rowspan', 'form', 'largeop', 'movablelimits', 'symmetric']);

/**
 * @typedef {{ image: (src: string, alt: string) => Node, docId: string }} CnxmlContext
 */

/**
 * A MathML subtree, copied element by element with presentation attributes only.
 * @param {Element} source
 * @returns {Element}
 */
function math(source) {
  const el = document.createElementNS(MATHML, source.localName);
  for (const attr of source.attributes) if (MATH_ATTRS.has(attr.localName)) el.setAttribute(attr.localName, attr.value);
  for (const child of source.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) el.appendChild(document.createTextNode(child.textContent ?? ''));
    else if (child.nodeType === Node.ELEMENT_NODE && /** @type {Element} */ (child).namespaceURI === MATHML) el.appendChild(math(/** @type {Element} */ (child)));
  }
  return el;
}

/**
 * @param {Element} el
 * @param {string} name
 */
const childNamed = (el, name) => [...el.children].find((c) => c.localName === name) ?? null;

/**
 * The children of a CNXML element as HTML nodes.
 * @param {Element} el
 * @param {CnxmlContext} ctx
 * @param {number} depth section depth, for heading levels
 * @returns {Node[]}
 */
function children(el, ctx, depth) {
  /** @type {Node[]} */
  const out = [];
  for (const child of el.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) out.push(document.createTextNode(child.textContent ?? ''));
    else if (child.nodeType === Node.ELEMENT_NODE) {
      const node = element(/** @type {Element} */ (child), ctx, depth);
      if (node !== null) out.push(node);
    }
  }
  return out;
}

/**
 * @param {Element} el
 * @param {CnxmlContext} ctx
 * @param {number} depth
 * @returns {Node|null}
 */
function element(el, ctx, depth) {
  if (el.namespaceURI === MATHML) return el.localName === 'math' ? math(el) : null;
  const inner = () => children(el, ctx, depth);
  const id = el.getAttribute('id');
  /** @param {HTMLElement} node */
  const withId = (node) => {
    if (id !== null) node.id = `${ctx.docId}-${id}`;
    return node;
  };
  const heading = (/** @type {string} */ text) => h(/** @type {'h3'} */ (`h${Math.min(6, depth + 2)}`), {}, text);
  switch (el.localName) {
    case 'metadata':
      return null;
    case 'title':
      // A section's title is drawn by the section; any other title reads as a heading-like line.
      return h('p', { class: 'cnxml-title' }, h('strong', {}, inner()));
    case 'content':
      return h('div', {}, inner());
    case 'section': {
      const title = childNamed(el, 'title');
      const rest = children(el, ctx, depth + 1).filter((n) => !(n instanceof HTMLElement && n.classList.contains('cnxml-title')));
      return withId(h('section', { class: 'cnxml-section' }, title === null ? null : heading(title.textContent ?? ''), rest));
    }
    case 'para':
      return withId(h('p', {}, inner()));
    case 'emphasis': {
      const effect = el.getAttribute('effect') ?? 'bold';
      return h(effect === 'italics' ? 'em' : effect === 'underline' ? 'u' : 'strong', {}, inner());
    }
    case 'term':
      return h('dfn', {}, inner());
    case 'foreign':
      return h('i', {}, inner());
    case 'sub':
    case 'sup':
      return h(el.localName, {}, inner());
    case 'code':
      return el.getAttribute('display') === 'block' ? h('pre', {}, h('code', {}, el.textContent ?? '')) : h('code', {}, el.textContent ?? '');
    case 'quote':
      return el.getAttribute('display') === 'block' ? h('blockquote', {}, inner()) : h('q', {}, inner());
    case 'newline':
      return h('br');
    case 'list': {
      const ordered = el.getAttribute('list-type') === 'enumerated';
      const title = childNamed(el, 'title');
      const items = [...el.children].filter((c) => c.localName === 'item').map((item) => h('li', {}, children(item, ctx, depth)));
      const list = ordered ? h('ol', {}, items) : h('ul', {}, items);
      return title === null ? withId(list) : withId(h('div', {}, h('p', {}, h('strong', {}, title.textContent ?? '')), list));
    }
    case 'link': {
      const url = el.getAttribute('url');
      const target = el.getAttribute('target-id');
      const text = inner();
      if (url !== null) {
        const safe = safeUrl(url);
        return safe === null ? h('span', {}, text) : h('a', { href: safe, rel: 'noopener noreferrer' }, text.length > 0 ? text : safe);
      }
      if (target !== null) return h('a', { href: `#${ctx.docId}-${target}`, 'data-cnxml-target': `${ctx.docId}-${target}` }, text.length > 0 ? text : target);
      return h('span', {}, text);
    }
    case 'note':
    case 'example': {
      const label = el.localName === 'example' ? 'Example' : (el.getAttribute('type') ?? 'Note').replace(/^./, (c) => c.toUpperCase());
      const title = childNamed(el, 'title');
      const rest = inner().filter((n) => !(n instanceof HTMLElement && n.classList.contains('cnxml-title')));
      return withId(h('aside', { class: `cnxml-${el.localName}`, 'aria-label': label }, h('p', {}, h('strong', {}, title?.textContent ?? label)), rest));
    }
    case 'exercise':
      return withId(h('section', { class: 'cnxml-exercise', 'aria-label': 'Exercise' }, h('p', {}, h('strong', {}, 'Exercise')), inner()));
    case 'problem':
      return h('div', { class: 'cnxml-problem' }, inner());
    case 'solution':
      return h('details', { class: 'cnxml-solution' }, h('summary', {}, 'Solution'), inner());
    case 'equation':
      return withId(h('div', { class: 'cnxml-equation' }, inner()));
    case 'figure': {
      const caption = childNamed(el, 'caption');
      const rest = [...el.children].filter((c) => c.localName !== 'caption' && c.localName !== 'title').map((c) => element(c, ctx, depth));
      return withId(h('figure', {}, rest, caption === null ? null : h('figcaption', {}, children(caption, ctx, depth))));
    }
    case 'media': {
      const alt = el.getAttribute('alt') ?? '';
      const image = [...el.children].find((c) => c.localName === 'image');
      const src = image?.getAttribute('src');
      return src ? ctx.image(src, alt) : document.createTextNode(alt);
    }
    case 'table': {
      const groups = [...el.children].filter((c) => c.localName === 'tgroup');
      const title = childNamed(el, 'title');
      /** @param {Element|null} part @param {'thead'|'tbody'} tag @param {'th'|'td'} cell */
      const rows = (part, tag, cell) =>
        part === null ? null : h(tag, {}, [...part.children].filter((r) => r.localName === 'row').map((r) => h('tr', {}, [...r.children].filter((c) => c.localName === 'entry').map((c) => h(cell, {}, children(c, ctx, depth))))));
      return withId(
        h('table', { class: 'cnxml-table' }, title === null ? null : h('caption', {}, title.textContent ?? ''), groups.map((g) => [rows(childNamed(g, 'thead'), 'thead', 'th'), rows(childNamed(g, 'tbody'), 'tbody', 'td')])),
      );
    }
    default:
      // Unknown (or unsafe) elements keep their text only.
      return h('span', {}, inner());
  }
}

let modules = 0;

/**
 * A CNXML module as HTML, or null when the XML does not parse (the caller shows the source).
 * @param {string} source
 * @param {{ image: (src: string, alt: string) => Node }} rewrite
 * @returns {HTMLElement|null}
 */
export function renderCnxml(source, rewrite) {
  const doc = new DOMParser().parseFromString(source, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length > 0 || doc.documentElement === null) return null;
  const root = doc.documentElement;
  const ctx = { image: rewrite.image, docId: `cnx${++modules}` };
  const title = childNamed(root, 'title');
  const content = childNamed(root, 'content') ?? root;
  const article = h('article', { class: 'cnxml' }, title === null ? null : h('h2', {}, title.textContent ?? ''), children(content, ctx, 1));
  // Cross-references move focus within the module: the URL's fragment holds this client's route.
  article.addEventListener('click', (e) => {
    const link = e.target instanceof Element ? e.target.closest('a[data-cnxml-target]') : null;
    if (link === null) return;
    e.preventDefault();
    const target = document.getElementById(link.getAttribute('data-cnxml-target') ?? '');
    if (target === null) return;
    target.setAttribute('tabindex', '-1');
    target.focus();
  });
  return article;
}
