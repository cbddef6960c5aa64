/**
 * Prose changes as an author sees them, in Chromium against a real front end: a one-word change
 * in a 600-character paragraph shows as that word (unified and split), a two-branch conflict is
 * resolved in the browser hunk by hunk and lands as a merge commit with both parents whose
 * content is what the author chose (checked through the API and with `git log --graph` from a
 * real clone), and overlapping edits of one file in the editor are settled in the same resolver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { GitSandbox } from '../repo-server/api/helpers/git.js';
import { accessibilityProblems, axeViolations, openSession, screenshot, type Session } from './helpers/browser.js';
import { startWebServer, type WebServer } from './helpers/web-server.js';

const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'web');
const PASSWORD = 'a long and private passphrase';

const LONG = `Open textbooks are written by many hands: an author drafts a module, an editor reads it against the style guide, a reviewer checks every figure and formula, and the publisher assembles the modules into books that teachers adopt for whole semesters, so a single careless word in a paragraph that thousands of students read each term is worth catching before it is published again.`;

const CHAPTER = ['# Reviews', '', LONG, '', 'Every module is reviewed twice.', '', 'Reviewers sign their reports.', ''].join('\n');

let server: WebServer;
let session: Session;
let git: GitSandbox;

async function rest(method: string, path: string, body?: string, type = 'application/octet-stream'): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: { Authorization: `Bearer ${server.adminToken}`, 'Content-Type': type }, body });
}

async function put(path: string, branch: string, content: string, message: string): Promise<string> {
  const res = await rest('PUT', `/repos/book/contents/${path}?branch=${branch}&message=${encodeURIComponent(message)}`, content);
  expect(res.status).toBeLessThan(300);
  return ((await res.json()) as { commit: string }).commit;
}

async function text(path: string, ref: string): Promise<string> {
  return (await rest('GET', `/repos/book/contents/${path}?ref=${ref}`)).text();
}

async function head(branch: string): Promise<string> {
  return ((await (await rest('GET', `/repos/book/branches/${branch}`)).json()) as { commit: string }).commit;
}

async function checked(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page), name).toEqual([]);
  expect(await axeViolations(page), name).toEqual([]);
  await screenshot(page, ARTIFACTS, name);
}

describe('prose changes in the browser', () => {
  beforeAll(async () => {
    server = await startWebServer();
    await server.user('ana', { displayName: 'Ana Editor', email: 'ana@example.org', password: PASSWORD }, { global: 'admin' });
    git = new GitSandbox();
    expect((await rest('PUT', '/repos/book', '{}', 'application/json')).status).toBe(201);
    await put('chapter.md', 'main', CHAPTER, 'Write the chapter on reviews');
    expect((await rest('PUT', '/repos/book/branches/drafts', JSON.stringify({ from: 'main' }), 'application/json')).status).toBe(201);
    session = await openSession(server.url);
    const { page } = session;
    await page.goto(`${server.url}/`);
    await page.locator('#user').fill('ana');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#password').press('Enter');
    await page.locator('h1#view-title', { hasText: 'Repositories' }).waitFor();
  });

  afterAll(async () => {
    await session?.close();
    await server?.close();
    git?.cleanup();
  });

  it('shows a one-word change in a long paragraph as that word, in the unified and the split view', async () => {
    const { page } = session;
    await put('chapter.md', 'drafts', CHAPTER.replace('careless word', 'misplaced word'), 'A better word');
    await page.goto(`${server.url}/#/repo/book/compare?base=main&head=drafts`);
    await page.locator('#compare-summary', { hasText: 'drafts has 1 commit' }).waitFor();
    const diff = page.locator('section.diff', { hasText: 'chapter.md' });
    // The paragraph is one removed and one added line; inside them, only the word is marked.
    expect(await diff.locator('del.diff-line').count()).toBe(1);
    expect(await diff.locator('mark.word-del').allTextContents()).toEqual(['careless']);
    expect(await diff.locator('mark.word-add').allTextContents()).toEqual(['misplaced']);
    // Line numbers of both sides.
    const row = diff.locator('tr.diff-row-add');
    expect(await row.locator('td.ln').allTextContents()).toEqual(['', '3']);
    await page.getByRole('button', { name: 'Split', exact: true }).first().click();
    const split = diff.locator('table.diff-table.split tr.diff-row-change');
    expect(await split.count()).toBe(1);
    expect(await split.locator('td.ln').allTextContents()).toEqual(['3', '3']);
    expect(await split.locator('del mark.word-del').textContent()).toBe('careless');
    expect(await split.locator('ins mark.word-add').textContent()).toBe('misplaced');
    expect(await page.getByRole('button', { name: 'Split', exact: true }).first().getAttribute('aria-pressed')).toBe('true');
    await checked(page, '15-word-diff');
    await page.getByRole('button', { name: 'Unified', exact: true }).first().click();
    await diff.locator('table.diff-table.unified').waitFor();
  });

  it('resolves a two-branch conflict hunk by hunk and commits a merge with both parents, as git sees it', async () => {
    const { page } = session;
    const draftsHead = await put('chapter.md', 'drafts', CHAPTER.replace('careless word', 'misplaced word').replace('reviewed twice', 'reviewed twice, by two people').replace('sign their reports', 'sign and date their reports'), 'Say who reviews');
    const mainHead = await put('chapter.md', 'main', CHAPTER.replace('reviewed twice', 'reviewed at least twice').replace('sign their reports', 'publish their reports'), 'Tighten the review rules');
    // The same address as the last test's screen: load it afresh, with both new commits.
    await page.goto(`${server.url}/#/repo/book/compare?base=main&head=drafts`);
    await page.reload();
    await page.locator('#compare-summary', { hasText: 'drafts has 2 commits that main does not have, and main has 1 commit' }).waitFor();
    await page.getByRole('button', { name: 'Merge drafts into main' }).click();
    await page.locator('#merge-conflict-heading', { hasText: 'Not merged: 1 conflict' }).waitFor();
    const form = page.locator('form.resolve-form');
    await form.waitFor();
    expect(await head('main')).toBe(mainHead);
    // Two lines changed on both sides: two conflicts, ours and theirs side by side, each settled on its own.
    const hunks = form.locator('fieldset.conflict-hunk');
    expect(await hunks.count()).toBe(2);
    const [first, second] = [hunks.nth(0), hunks.nth(1)];
    expect(await first.locator('legend').textContent()).toBe('Conflict 1 of 2 in chapter.md, at line 5');
    expect(await second.locator('legend').textContent()).toBe('Conflict 2 of 2 in chapter.md, at line 7');
    expect(await first.locator('.conflict-side.ours .conflict-line').allTextContents()).toEqual(['Every module is reviewed at least twice.']);
    expect(await first.locator('.conflict-side.theirs .conflict-line').allTextContents()).toEqual(['Every module is reviewed twice, by two people.']);
    expect(await first.locator('.conflict-side.theirs mark.word-add').allTextContents()).toContain('by');
    expect(await second.locator('.conflict-side.theirs .conflict-line').allTextContents()).toEqual(['Reviewers sign and date their reports.']);
    // The word changed only on drafts merged by itself, folded away with the rest.
    expect(await form.locator('details.resolved-lines').first().textContent()).toContain('merged without conflict');
    // Committing before choosing is refused, in words.
    await page.getByRole('button', { name: 'Commit the merge' }).click();
    await page.getByText('Choose how to resolve every conflict first').waitFor();
    expect(await head('main')).toBe(mainHead);
    await first.getByLabel('Edit').check();
    await first.getByRole('textbox').fill('Every module is reviewed at least twice, by two people.\n');
    await second.getByLabel('Keep drafts’s version').check();
    const mine = 'Every module is reviewed at least twice, by two people.\n\nReviewers sign and date their reports.\n';
    await checked(page, '16-resolve-conflict');
    await page.locator('#resolve-message').fill('Merge drafts: who reviews, and how often');
    await page.getByRole('button', { name: 'Commit the merge' }).click();
    await expect.poll(() => page.locator('#notices').textContent()).toContain('Merged drafts into main with your resolution');

    const merged = await head('main');
    const commit = (await (await rest('GET', `/repos/book/commits/${merged}`)).json()) as { parents: string[]; message: string; author: { name: string; email: string } };
    expect(commit.parents).toEqual([mainHead, draftsHead]);
    expect(commit.message.trim()).toBe('Merge drafts: who reviews, and how often');
    expect(commit.author).toMatchObject({ name: 'Ana Editor', email: 'ana@example.org' });
    const expected = CHAPTER.replace('careless word', 'misplaced word').replace('Every module is reviewed twice.\n\nReviewers sign their reports.\n', mine);
    expect(await text('chapter.md', 'main')).toBe(expected);

    // From outside, with plain git: the merge commit, its two parents, the author's text.
    const clone = git.path('book');
    const url = server.url.replace('http://', `http://ana:${server.adminToken}@`);
    const cloned = await git.run(['clone', '--quiet', `${url}/book.git`, clone]);
    expect(cloned.code, cloned.stderr).toBe(0);
    const graph = (await git.run(['log', '--graph', '--format=%s', 'main'], clone)).stdout.split('\n');
    expect(graph.slice(0, 4)).toEqual(['*   Merge drafts: who reviews, and how often', '|\\  ', '| * Say who reviews', '| * A better word']);
    expect(graph).toContain('* | Tighten the review rules');
    expect((await git.run(['log', '-1', '--format=%P|%an <%ae>', 'main'], clone)).stdout.trim()).toBe(`${mainHead} ${draftsHead}|Ana Editor <ana@example.org>`);
    expect((await git.run(['show', 'main:chapter.md'], clone)).stdout).toBe(expected);
  });

  it('settles overlapping edits of one file in the editor with the same resolver', async () => {
    const { page } = session;
    const before = await text('chapter.md', 'main');
    await page.goto(`${server.url}/#/repo/book/edit?branch=main&path=chapter.md`);
    await page.locator('h1#view-title', { hasText: 'Edit chapter.md' }).waitFor();
    await put('chapter.md', 'main', before.replace('# Reviews', '# Peer review'), 'A plainer title');
    await page.locator('#edit-content').fill(before.replace('# Reviews', '# Reviews and reviewers'));
    await page.locator('#edit-message').fill('Name the reviewers in the title');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('#conflict-heading', { hasText: 'Someone else changed this file' }).waitFor();
    await page.getByRole('button', { name: 'Merge my changes into theirs' }).click();
    await page.locator('#resolve-heading', { hasText: '1 place to settle' }).waitFor();
    const hunk = page.locator('fieldset.conflict-hunk').first();
    expect(await hunk.locator('.conflict-side.ours .conflict-line').allTextContents()).toEqual(['# Reviews and reviewers']);
    expect(await hunk.locator('.conflict-side.theirs .conflict-line').allTextContents()).toEqual(['# Peer review']);
    await checked(page, '17-editor-resolve');
    await hunk.getByLabel('Keep your version').check();
    await page.getByRole('button', { name: 'Use this text' }).click();
    expect(await page.locator('#edit-content').inputValue()).toBe(before.replace('# Reviews', '# Reviews and reviewers'));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('h1#view-title', { hasText: /^chapter\.md$/ }).waitFor();
    expect(await text('chapter.md', 'main')).toBe(before.replace('# Reviews', '# Reviews and reviewers'));
    expect(session.problems).toEqual([]);
  });
});
