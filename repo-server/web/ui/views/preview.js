/**
 * Showing a file's content: Markdown rendered (links inside the repository stay in this client,
 * images are fetched with the token), HTML in a sandboxed frame, images as images.
 */
import { h } from '../dom.js';
import * as api from '../api.js';
import { renderMarkdown, safeUrl } from '../markdown.js';
import { renderCnxml } from '../cnxml.js';
import { href } from '../router.js';
import { extension, resolvePath } from '../files.js';

/**
 * An <img> whose bytes are fetched with the token (a plain src could not send it).
 * @param {string} repo
 * @param {string} ref
 * @param {string} path
 * @param {string} alt
 */
export function repoImage(repo, ref, path, alt) {
  const img = h('img', { alt, class: 'preview-image' });
  api.getFileBlob(repo, ref, path).then(
    (blob) => {
      const url = URL.createObjectURL(blob);
      img.addEventListener('load', () => URL.revokeObjectURL(url), { once: true });
      img.src = url;
    },
    () => img.replaceWith(h('span', { class: 'missing' }, `(image ${path} not found)`)),
  );
  return img;
}

/** @param {string} url */
const isExternal = (url) => /^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//');

/**
 * A Markdown file rendered (see markdown.js for what is kept and what is removed).
 * @param {{ repoName: string, ref: string }} ctx
 * @param {string} path the Markdown file's own path, for its relative links
 * @param {string} text
 */
export async function markdownPreview(ctx, path, text) {
  const refParam = { ref: ctx.ref };
  const content = await renderMarkdown(text, {
    link: (url) => {
      if (isExternal(url)) return url;
      const target = resolvePath(path, url);
      if (target === null) return '#/';
      return href(extension(target) === '' ? 'tree' : 'file', ctx.repoName, { ...refParam, path: target });
    },
    image: (src, alt) => {
      if (isExternal(src)) return h('a', { href: src, rel: 'noopener noreferrer' }, `Image: ${alt || src}`);
      const target = resolvePath(path, src);
      return target === null ? document.createTextNode(alt) : repoImage(ctx.repoName, ctx.ref, target, alt);
    },
  });
  return h('div', { class: 'markdown' }, content);
}

/**
 * A CNXML module shown readably (cnxml.js); its source when the XML does not parse.
 * @param {{ repoName: string, ref: string }} ctx
 * @param {string} path the module's own path, for its images
 * @param {string} text
 */
export function cnxmlPreview(ctx, path, text) {
  const article = renderCnxml(text, {
    image: (src, alt) => {
      if (isExternal(src)) {
        const safe = safeUrl(src);
        return safe === null ? document.createTextNode(alt) : h('a', { href: safe, rel: 'noopener noreferrer' }, `Image: ${alt || src}`);
      }
      const target = resolvePath(path, src);
      return target === null ? document.createTextNode(alt) : repoImage(ctx.repoName, ctx.ref, target, alt);
    },
  });
  return article === null ? h('div', {}, h('p', { class: 'form-error' }, 'This CNXML file is not well-formed XML; here is its source.'), h('pre', { class: 'source' }, text)) : h('div', { class: 'markdown cnxml-view' }, article);
}

/**
 * An authored HTML page, shown as the author wrote it but unable to act: no scripts, forms,
 * popups or same-origin access (an empty sandbox), so it cannot read the token.
 * @param {string} path
 * @param {string} text
 */
export function htmlPreview(path, text) {
  return h('iframe', { class: 'html-preview', sandbox: '', srcdoc: text, title: `Preview of ${path}`, referrerpolicy: 'no-referrer' });
}
