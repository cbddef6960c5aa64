/**
 * The only way this client makes elements. Text always goes in as text nodes and attributes
 * through setAttribute, never as markup: repository content, names and messages are untrusted.
 */

/**
 * h('button', { class: 'primary', onclick: fn, 'aria-label': 'Close' }, 'text', childNode)
 * Props: `class`; `on<event>` functions become listeners; `value`/`checked` set the property;
 * true sets an empty attribute; false, null and undefined leave it out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} [props]
 * @param {...any} children Nodes, strings, numbers, arrays of them; null, undefined and false are skipped
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), /** @type {EventListener} */ (value));
    } else if (name === 'value' || name === 'checked') {
      /** @type {any} */ (el)[name] = value;
    } else if (name === 'class') {
      el.className = String(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} parent
 * @param {Array<any>} children
 */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * A fragment of several nodes, for views that return more than one element.
 * @param {...any} children
 */
export function fragment(...children) {
  const f = document.createDocumentFragment();
  append(f, children);
  return f;
}

let counter = 0;
/** A fresh id, to tie a label or description to its control. */
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * A labelled form field: label + control (+ optional hint wired through aria-describedby).
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  if (!control.id) control.id = uid('field');
  const hintEl = hint ? h('p', { class: 'hint', id: uid('hint') }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/**
 * The first line of a commit message.
 * @param {string|null|undefined} message
 */
export function subject(message) {
  return String(message ?? '').split('\n')[0] ?? '';
}

/**
 * Seven characters, as git shows a commit.
 * @param {string|null|undefined} id
 */
export function short(id) {
  return String(id ?? '').slice(0, 7);
}

/**
 * A <time> with the machine-readable date and a local, readable text.
 * @param {number} seconds
 */
export function time(seconds) {
  const date = new Date(seconds * 1000);
  return h('time', { datetime: date.toISOString() }, date.toLocaleString());
}
