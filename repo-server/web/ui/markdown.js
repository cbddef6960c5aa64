/**
 * A small, safe Markdown renderer: the text is parsed into a tree of plain objects (no markup
 * strings ever exist), and the tree is turned into DOM nodes with text nodes and vetted
 * attributes only. Raw HTML in the source is shown as text. Links keep only http(s), mailto and
 * relative targets, so "javascript:" and "data:" can never be clicked.
 *
 * Covers what authors write most: ATX and setext headings, paragraphs, emphasis, strong, code
 * spans, fenced and indented code, block quotes, nested lists, rules, links, images, autolinks,
 * hard breaks and GFM tables.
 */

/**
 * @typedef {{ type: 'text', text: string } | { type: 'code', text: string } | { type: 'strong'|'em', children: Inline[] }
 *   | { type: 'link', href: string|null, children: Inline[] } | { type: 'image', src: string|null, alt: string } | { type: 'break' }} Inline
 * @typedef {{ type: 'heading', level: number, inlines: Inline[] } | { type: 'paragraph', inlines: Inline[] }
 *   | { type: 'code', lang: string, text: string } | { type: 'quote', blocks: Block[] } | { type: 'hr' }
 *   | { type: 'list', ordered: boolean, start: number, items: Block[][] }
 *   | { type: 'table', align: Array<'left'|'right'|'center'|null>, head: Inline[][], rows: Inline[][][] }} Block
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)/;
const TABLE_RULE = /^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$/;

/** Whether a URL may become an href or src: relative, fragment, http(s) or mailto only. */
export function safeUrl(url) {
  const trimmed = String(url).replace(/[\u0000-\u0020\u007f]/g, '');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed);
  if (scheme === null) return String(url).trim();
  return ['http', 'https', 'mailto'].includes(scheme[1].toLowerCase()) ? String(url).trim() : null;
}

function startsBlock(line) {
  return FENCE.test(line) || ATX.test(line) || HR.test(line) || QUOTE.test(line) || ITEM.test(line);
}

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells = [];
  let cell = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (s[i] === '|') {
      cells.push(cell.trim());
      cell = '';
    } else cell += s[i];
  }
  cells.push(cell.trim());
  return cells;
}

/**
 * @param {string} source
 * @returns {Block[]}
 */
export function parseMarkdown(source) {
  return parseBlocks(String(source).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n'));
}

/** @param {string[]} lines */
function parseBlocks(lines) {
  /** @type {Block[]} */
  const blocks = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const body = [];
      i++;
      const closing = new RegExp(`^ {0,3}${marker[0]}{${marker.length},}[ \\t]*$`);
      while (i < lines.length && !closing.test(lines[i])) body.push(lines[i++]);
      i++;
      blocks.push({ type: 'code', lang: fence[2], text: body.join('\n') });
      continue;
    }
    const atx = ATX.exec(line);
    if (atx) {
      blocks.push({ type: 'heading', level: atx[1].length, inlines: parseInline(atx[2] ?? '') });
      i++;
      continue;
    }
    if (HR.test(line)) {
      blocks.push({ type: 'hr' });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner = [];
      while (i < lines.length && lines[i].trim() !== '' && (QUOTE.test(lines[i]) || !startsBlock(lines[i]))) inner.push(lines[i++].replace(QUOTE, ''));
      blocks.push({ type: 'quote', blocks: parseBlocks(inner) });
      continue;
    }
    const item = ITEM.exec(line);
    if (item) {
      const list = parseList(lines, i);
      blocks.push(list.block);
      i = list.next;
      continue;
    }
    if (/^ {4}/.test(line)) {
      const body = [];
      while (i < lines.length && (/^ {4}/.test(lines[i]) || (lines[i].trim() === '' && /^ {4}/.test(lines[i + 1] ?? '')))) body.push(lines[i++].slice(4));
      blocks.push({ type: 'code', lang: '', text: body.join('\n') });
      continue;
    }
    if (line.includes('|') && TABLE_RULE.test(lines[i + 1] ?? '') && lines[i + 1].includes('-')) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1]).map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : null));
      i += 2;
      const rows = [];
      while (i < lines.length && lines[i].trim() !== '' && lines[i].includes('|')) rows.push(splitRow(lines[i++]).map(parseInline));
      blocks.push({ type: 'table', align, head: head.map(parseInline), rows });
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() !== '' && (para.length === 0 || !startsBlock(lines[i]))) {
      if (para.length > 0 && /^ {0,3}(=+|-+)[ \t]*$/.test(lines[i])) break;
      para.push(lines[i++]);
    }
    const setext = /^ {0,3}(=+|-+)[ \t]*$/.exec(lines[i] ?? '');
    if (setext && para.length > 0) {
      blocks.push({ type: 'heading', level: setext[1][0] === '=' ? 1 : 2, inlines: parseInline(para.join('\n')) });
      i++;
      continue;
    }
    blocks.push({ type: 'paragraph', inlines: parseInline(para.join('\n')) });
  }
  return blocks;
}

/**
 * A list starting at line `start`: items of the same kind; an item's content is every following
 * line indented past its marker (blank lines included when more indented content follows).
 */
function parseList(lines, start) {
  const first = /** @type {RegExpExecArray} */ (ITEM.exec(lines[start]));
  const ordered = /\d/.test(first[2]);
  const kind = ordered ? first[2].slice(-1) : first[2];
  /** @type {Block[][]} */
  const items = [];
  let i = start;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m || (/\d/.test(m[2]) ? m[2].slice(-1) : m[2]) !== kind) break;
    const indent = m[1].length + m[2].length + Math.max(1, Math.min(m[3].length, 4));
    const body = [lines[i].slice(m[0].length)];
    i++;
    while (i < lines.length) {
      const l = lines[i];
      if (l.trim() === '') {
        const nextIndented = i + 1 < lines.length && /^ */.exec(lines[i + 1])[0].length >= indent && lines[i + 1].trim() !== '';
        if (!nextIndented) break;
        body.push('');
        i++;
        continue;
      }
      const spaces = /^ */.exec(l)[0].length;
      if (spaces >= indent) body.push(l.slice(indent));
      else if (!startsBlock(l) && body[body.length - 1] !== '') body.push(l.trim());
      else break;
      i++;
    }
    items.push(parseBlocks(body));
    // A blank line between items keeps the list going.
    if (lines[i]?.trim() === '' && ITEM.test(lines[i + 1] ?? '')) i++;
  }
  return { block: { type: 'list', ordered, start: ordered ? parseInt(first[2], 10) : 1, items }, next: i };
}

/** Finds the index of the `]` that closes the `[` at `open`, or -1. */
function closingBracket(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '[') depth++;
    else if (text[i] === ']' && --depth === 0) return i;
  }
  return -1;
}

/** `(url "title")` right after `]`: the url and where it ends, or null. */
function linkTarget(text, at) {
  if (text[at] !== '(') return null;
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) {
      const inner = text.slice(at + 1, i).trim();
      const url = inner.startsWith('<') ? inner.slice(1, inner.indexOf('>') < 0 ? undefined : inner.indexOf('>')) : inner.split(/\s+/)[0] ?? '';
      return { url, end: i + 1 };
    }
  }
  return null;
}

/**
 * @param {string} text
 * @returns {Inline[]}
 */
export function parseInline(text) {
  /** @type {Inline[]} */
  const out = [];
  let buffer = '';
  const flush = () => {
    if (buffer !== '') out.push({ type: 'text', text: buffer });
    buffer = '';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '\n') {
      flush();
      out.push({ type: 'break' });
      i += 2;
      continue;
    }
    if (c === '\\' && /[!-/:-@[-`{-~]/.test(text[i + 1] ?? '')) {
      buffer += text[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') {
      if (buffer.endsWith('  ')) {
        buffer = buffer.replace(/ +$/, '');
        flush();
        out.push({ type: 'break' });
      } else buffer = `${buffer.replace(/ +$/, '')}\n`;
      i++;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(text.slice(i))[0];
      const close = text.indexOf(run, i + run.length);
      if (close >= 0 && text[close + run.length] !== '`') {
        flush();
        const code = text.slice(i + run.length, close).replace(/\n/g, ' ');
        out.push({ type: 'code', text: /^ .* $/.test(code) && code.trim() !== '' ? code.slice(1, -1) : code });
        i = close + run.length;
        continue;
      }
      buffer += run;
      i += run.length;
      continue;
    }
    if (c === '<') {
      const auto = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(text.slice(i));
      if (auto) {
        flush();
        out.push({ type: 'link', href: safeUrl(auto[1]), children: [{ type: 'text', text: auto[1].replace(/^mailto:/i, '') }] });
        i += auto[0].length;
        continue;
      }
    }
    if ((c === '!' && text[i + 1] === '[') || c === '[') {
      const open = c === '!' ? i + 1 : i;
      const close = closingBracket(text, open);
      const target = close < 0 ? null : linkTarget(text, close + 1);
      if (target) {
        flush();
        const label = text.slice(open + 1, close);
        if (c === '!') out.push({ type: 'image', src: safeUrl(target.url), alt: label });
        else out.push({ type: 'link', href: safeUrl(target.url), children: parseInline(label) });
        i = target.end;
        continue;
      }
    }
    if (c === '*' || c === '_') {
      const run = c.repeat(text[i + 1] === c ? 2 : 1);
      const before = text[i - 1] ?? ' ';
      const after = text[i + run.length] ?? ' ';
      // "_" inside a word (snake_case) is not emphasis; an opener must be followed by non-space.
      const canOpen = !/\s/.test(after) && (c === '*' || !/[\p{L}\p{N}]/u.test(before));
      if (canOpen) {
        let close = text.indexOf(run, i + run.length);
        while (close >= 0) {
          const prev = text[close - 1];
          const next = text[close + run.length] ?? ' ';
          const tripled = run.length === 1 && next === c;
          if (!/\s/.test(prev) && !tripled && (c === '*' || !/[\p{L}\p{N}]/u.test(next))) break;
          close = text.indexOf(run, close + (tripled ? 2 : 1));
        }
        if (close > i + run.length) {
          flush();
          out.push({ type: run.length === 2 ? 'strong' : 'em', children: parseInline(text.slice(i + run.length, close)) });
          i = close + run.length;
          continue;
        }
      }
      buffer += run;
      i += run.length;
      continue;
    }
    buffer += c;
    i++;
  }
  flush();
  return out;
}

/**
 * @typedef {{ link?: (href: string) => string, image?: (src: string, alt: string) => Node }} RenderOptions
 * link: rewrites a safe href (for example a relative .md link to a route of this client);
 * image: makes the node for a safe image source (default: a plain link, since images from other
 * sites are blocked by the page's policy and would tell them who reads what).
 */

/**
 * @param {string} source
 * @param {RenderOptions} [options]
 * @returns {DocumentFragment}
 */
export function renderMarkdown(source, options = {}) {
  const root = document.createDocumentFragment();
  for (const block of parseMarkdown(source)) root.appendChild(renderBlock(block, options));
  return root;
}

function el(tag, ...children) {
  const e = document.createElement(tag);
  for (const c of children) e.appendChild(c);
  return e;
}

function renderBlock(block, options) {
  switch (block.type) {
    case 'heading':
      return inlinesInto(document.createElement(`h${Math.min(6, block.level + 1)}`), block.inlines, options);
    case 'paragraph':
      return inlinesInto(document.createElement('p'), block.inlines, options);
    case 'code': {
      const code = el('code', document.createTextNode(block.text));
      if (/^[\w+-]+$/.test(block.lang)) code.className = `language-${block.lang}`;
      return el('pre', code);
    }
    case 'quote': {
      const q = document.createElement('blockquote');
      for (const b of block.blocks) q.appendChild(renderBlock(b, options));
      return q;
    }
    case 'hr':
      return document.createElement('hr');
    case 'list': {
      const list = document.createElement(block.ordered ? 'ol' : 'ul');
      if (block.ordered && block.start !== 1) list.setAttribute('start', String(block.start));
      for (const item of block.items) {
        const li = document.createElement('li');
        // A one-paragraph item is shown without the paragraph's margins (a "tight" list).
        if (item.length === 1 && item[0].type === 'paragraph') inlinesInto(li, item[0].inlines, options);
        else for (const b of item) li.appendChild(renderBlock(b, options));
        list.appendChild(li);
      }
      return list;
    }
    case 'table': {
      const table = document.createElement('table');
      const row = (cells, tag) => {
        const tr = document.createElement('tr');
        cells.forEach((cell, n) => {
          const td = inlinesInto(document.createElement(tag), cell, options);
          if (block.align[n]) td.style.textAlign = block.align[n];
          if (tag === 'th') td.setAttribute('scope', 'col');
          tr.appendChild(td);
        });
        return tr;
      };
      table.appendChild(el('thead', row(block.head, 'th')));
      const body = document.createElement('tbody');
      for (const r of block.rows) body.appendChild(row(r, 'td'));
      table.appendChild(body);
      return table;
    }
    default:
      return document.createTextNode('');
  }
}

function inlinesInto(parent, inlines, options) {
  for (const inline of inlines) parent.appendChild(renderInline(inline, options));
  return parent;
}

function renderInline(inline, options) {
  switch (inline.type) {
    case 'text':
      return document.createTextNode(inline.text);
    case 'code':
      return el('code', document.createTextNode(inline.text));
    case 'strong':
    case 'em':
      return inlinesInto(document.createElement(inline.type), inline.children, options);
    case 'break':
      return document.createElement('br');
    case 'link': {
      const a = inlinesInto(document.createElement('a'), inline.children, options);
      if (inline.href !== null) {
        const href = options.link ? options.link(inline.href) : inline.href;
        a.setAttribute('href', href);
        if (/^(https?|mailto):/i.test(href)) a.setAttribute('rel', 'noopener noreferrer');
      }
      return a;
    }
    case 'image': {
      if (inline.src !== null && options.image) return options.image(inline.src, inline.alt);
      if (inline.src === null) return document.createTextNode(inline.alt);
      const a = el('a', document.createTextNode(`Image: ${inline.alt || inline.src}`));
      a.setAttribute('href', inline.src);
      a.setAttribute('rel', 'noopener noreferrer');
      return a;
    }
    default:
      return document.createTextNode('');
  }
}
