// Runs in the page (evaluated as an expression by accessibilityProblems): what a screen reader
// or keyboard user would miss on the current screen.
(() => {
  const problems = [];
  const main = document.querySelector('main');
  if (main && main.getAttribute('aria-busy') === 'true') problems.push('main is still busy');
  const h1s = document.querySelectorAll('h1');
  if (h1s.length !== 1) problems.push(`${h1s.length} h1 elements`);
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.closest('[hidden]') || el.type === 'hidden') continue;
    const labelled =
      (el.labels && el.labels.length > 0) ||
      (el.getAttribute('aria-label') || '').trim() !== '' ||
      el.getAttribute('aria-labelledby') !== null ||
      (el.tagName === 'BUTTON' && (el.textContent || '').trim() !== '');
    if (!labelled) problems.push(`unlabelled ${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`);
  }
  for (const a of document.querySelectorAll('a')) {
    if (!a.closest('[hidden]') && (a.textContent || '').trim() === '' && !a.getAttribute('aria-label')) problems.push(`link without text: ${a.getAttribute('href')}`);
  }
  for (const id of new Set([...document.querySelectorAll('[id]')].map((e) => e.id))) {
    if (document.querySelectorAll(`[id="${CSS.escape(id)}"]`).length > 1) problems.push(`duplicate id ${id}`);
  }
  return problems;
})()
