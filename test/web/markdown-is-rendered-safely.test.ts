/**
 * The client's Markdown parser: what authors write most comes out as the right structure, and
 * nothing in a file can become a script: raw HTML stays text, and only http(s), mailto and
 * relative links survive.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Block, type Inline, loadUi, type MarkdownModule } from './helpers/ui-modules.js';

let md: MarkdownModule;
beforeAll(async () => {
  md = await loadUi<MarkdownModule>('markdown.js');
});

const text = (t: string): Inline => ({ type: 'text', text: t });
const para = (...inlines: Inline[]): Block => ({ type: 'paragraph', inlines });

describe('Markdown blocks', () => {
  it('headings (ATX and setext), paragraphs, rules and quotes', () => {
    expect(md.parseMarkdown('# One\n\n## Two ##\n\nA\nB\n\nTitle\n=====\n\nSub\n---\n\n***\n\n> quoted\n> on two lines')).toEqual([
      { type: 'heading', level: 1, inlines: [text('One')] },
      { type: 'heading', level: 2, inlines: [text('Two')] },
      para(text('A\nB')),
      { type: 'heading', level: 1, inlines: [text('Title')] },
      { type: 'heading', level: 2, inlines: [text('Sub')] },
      { type: 'hr' },
      { type: 'quote', blocks: [para(text('quoted\non two lines'))] },
    ]);
  });

  it('fenced and indented code keep their text exactly, Markdown and HTML included', () => {
    expect(md.parseMarkdown('```js\nconst a = "<b>*x*</b>";\n\n```\n\n    indented <i>\n    code')).toEqual([
      { type: 'code', lang: 'js', text: 'const a = "<b>*x*</b>";\n' },
      { type: 'code', lang: '', text: 'indented <i>\ncode' },
    ]);
    // A fence closes only with at least as many of the same marks.
    expect(md.parseMarkdown('````\n```\n````')).toEqual([{ type: 'code', lang: '', text: '```' }]);
  });

  it('lists: bullets, numbers with a start, nesting, and several paragraphs in an item', () => {
    expect(md.parseMarkdown('- a\n- b\n  - b1\n  - b2\n- c\n\n3. three\n4. four\n\n* one\n\n  more of one\n* two')).toEqual([
      {
        type: 'list',
        ordered: false,
        start: 1,
        items: [[para(text('a'))], [para(text('b')), { type: 'list', ordered: false, start: 1, items: [[para(text('b1'))], [para(text('b2'))]] }], [para(text('c'))]],
      },
      { type: 'list', ordered: true, start: 3, items: [[para(text('three'))], [para(text('four'))]] },
      { type: 'list', ordered: false, start: 1, items: [[para(text('one')), para(text('more of one'))], [para(text('two'))]] },
    ]);
  });

  it('GFM tables with alignment and escaped pipes', () => {
    expect(md.parseMarkdown('| Part | Pages |\n|:---|---:|\n| Intro | 3 |\n| a \\| b | 10 |')).toEqual([
      {
        type: 'table',
        align: ['left', 'right'],
        head: [[text('Part')], [text('Pages')]],
        rows: [
          [[text('Intro')], [text('3')]],
          [[text('a | b')], [text('10')]],
        ],
      },
    ]);
  });
});

describe('Markdown inlines', () => {
  it('emphasis, strong, code spans, escapes and hard breaks', () => {
    expect(md.parseInline('*em* **strong** _em_ __strong__ `a*b*` \\*not\\* a  \nb')).toEqual([
      { type: 'em', children: [text('em')] },
      text(' '),
      { type: 'strong', children: [text('strong')] },
      text(' '),
      { type: 'em', children: [text('em')] },
      text(' '),
      { type: 'strong', children: [text('strong')] },
      text(' '),
      { type: 'code', text: 'a*b*' },
      text(' *not* a'),
      { type: 'break' },
      text('b'),
    ]);
  });

  it('underscores inside words and lone stars are text', () => {
    expect(md.parseInline('snake_case_name and 2 * 3 * 4')).toEqual([text('snake_case_name and 2 * 3 * 4')]);
  });

  it('links, images and autolinks, with nested brackets and titles', () => {
    expect(md.parseInline('[the [intro]](chapters/intro.md "Intro") ![Logo](img/logo.png) <https://example.org/x>')).toEqual([
      { type: 'link', href: 'chapters/intro.md', children: [text('the [intro]')] },
      text(' '),
      { type: 'image', src: 'img/logo.png', alt: 'Logo' },
      text(' '),
      { type: 'link', href: 'https://example.org/x', children: [text('https://example.org/x')] },
    ]);
  });

  it('raw HTML is text, never markup', () => {
    expect(md.parseMarkdown('<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>')).toEqual([para(text('<script>alert(1)</script>')), para(text('<img src=x onerror=alert(1)>'))]);
  });

  it.each([
    ['javascript:alert(1)'],
    ['JavaScript:alert(1)'],
    [' javascript:alert(1)'],
    ['java\tscript:alert(1)'],
    ['java\u0000script:alert(1)'],
    ['data:text/html,<script>alert(1)</script>'],
    ['vbscript:msgbox'],
    ['file:///etc/passwd'],
  ])('drops the dangerous link target %j', (url) => {
    expect(md.safeUrl(url)).toBeNull();
    expect(md.parseInline(`[x](${url.replace(/\s/g, '')})`)[0]).toMatchObject({ type: 'link', href: null });
  });

  it.each([['https://example.org'], ['http://example.org/a?b#c'], ['mailto:editors@example.org'], ['chapters/intro.md'], ['../up.md'], ['#section'], ['/abs/path.md']])('keeps the safe link target %j', (url) => {
    expect(md.safeUrl(url)).toBe(url);
  });
});
