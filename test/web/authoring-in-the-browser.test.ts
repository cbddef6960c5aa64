/**
 * The web client end to end, in Chromium, against a real front end (REST, events, access
 * control) with the client mounted: an author signs in with her user name and password, creates a repository, adds files, edits, meets a
 * colleague's conflicting save, branches, merges, publishes a version, reads the history with
 * its diffs, and sees a change made by another client arrive live. Screenshots of the main
 * screens go to test-artifacts/web/ (and, with WEB_CLIENT_DOCS=1, to docs/web-client/).
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { accessibilityProblems, activeId, axeViolations, imageWidth, openSession, screenshot, type Session } from './helpers/browser.js';
import { startWebServer, type WebServer } from './helpers/web-server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');
const DOCS = join(ROOT, 'docs', 'web-client');

/** A 1x1 PNG (a blue dot), enough for the browser to decode. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

const PASSWORD = 'a long and private passphrase';

const INTRO = ['# Introduction', '', 'This handbook explains how we work.', '', 'It is written by the whole team.', '', 'Questions go to the editors.', ''].join('\n');

let server: WebServer;
let author: Session;
let colleague: Session | undefined;
let colleagueToken: string;

/** The REST API as another client would use it (Node's fetch, its own token). */
async function rest(method: string, path: string, token: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...headers }, body });
}

async function textOf(path: string, ref: string): Promise<string> {
  const res = await rest('GET', `/repos/handbook/contents/${path}?ref=${ref}`, server.adminToken);
  expect(res.status).toBe(200);
  return res.text();
}

async function shoot(page: Page, name: string): Promise<void> {
  expect(await accessibilityProblems(page), name).toEqual([]);
  expect(await axeViolations(page), name).toEqual([]);
  await screenshot(page, ARTIFACTS, name);
}

/** Waits for the screen whose <h1> reads `name` to be drawn and focused. */
async function onScreen(page: Page, name: string): Promise<void> {
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await page.locator('h1#view-title', { hasText: exact }).waitFor();
  await page.locator('main:not([aria-busy="true"])').waitFor();
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${server.url}/`);
  await onScreen(page, 'Sign in');
  await page.locator('#token').fill(token);
  await page.locator('#token').press('Enter');
  await onScreen(page, 'Repositories');
}

async function openFile(page: Page, path: string, ref?: string): Promise<void> {
  const q = new URLSearchParams({ ...(ref ? { ref } : {}), path });
  await page.goto(`${server.url}/#/repo/handbook/file?${q}`);
  await onScreen(page, path.split('/').pop()!);
}

async function openEditor(page: Page, path: string, branch = 'main'): Promise<void> {
  await page.goto(`${server.url}/#/repo/handbook/edit?${new URLSearchParams({ branch, path })}`);
  await onScreen(page, `Edit ${path.split('/').pop()!}`);
}

async function newFile(page: Page, path: string, content: string, message: string): Promise<void> {
  await page.getByRole('link', { name: /^(New file|Add the first file)$/ }).click();
  await onScreen(page, 'New file');
  await page.locator('#edit-path').fill(path);
  await page.locator('#edit-content').fill(content);
  await page.locator('#edit-message').fill(message);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await onScreen(page, path.split('/').pop()!);
  await expect.poll(() => page.locator('#notices').textContent()).toContain(`Saved ${path} on main`);
}

describe('the web client in a browser', () => {
  beforeAll(async () => {
    server = await startWebServer();
    await server.user('ana', { displayName: 'Ana Editor', email: 'ana@example.org', password: PASSWORD }, { global: 'admin' });
    colleagueToken = await server.token('colleague', { global: 'write' });
    author = await openSession(server.url);
  });

  afterAll(async () => {
    await colleague?.close();
    await author?.close();
    await server?.close();
    if (process.env.WEB_CLIENT_DOCS === '1') {
      mkdirSync(DOCS, { recursive: true });
      for (const f of readdirSync(ARTIFACTS)) if (f.endsWith('.png')) copyFileSync(join(ARTIFACTS, f), join(DOCS, f));
    }
  });

  it('signs in with a user name and password, by keyboard, and keeps the token only in this tab', async () => {
    const { page } = author;
    await page.goto(`${server.url}/`);
    await onScreen(page, 'Sign in');
    // A token that is not one is refused where it was typed.
    await page.locator('#token').fill('crt_0000000000000000_not-a-real-token-not-a-real-token-not-a-rea');
    await page.locator('#token').press('Enter');
    await page.getByText('The server did not accept this token').waitFor();
    await page.reload();
    await onScreen(page, 'Sign in');
    // Focus starts at the screen's heading; the user name is the next stop, then the password.
    expect(await activeId(page)).toBe('view-title');
    await page.keyboard.press('Tab');
    expect(await activeId(page)).toBe('user');
    await page.keyboard.type('ana');
    await page.keyboard.press('Tab');
    expect(await activeId(page)).toBe('password');
    await page.keyboard.type('not her password');
    await page.keyboard.press('Enter');
    await page.getByText('That user name and password do not match').waitFor();
    expect(await activeId(page)).toBe('password');
    await page.keyboard.type(PASSWORD);
    await shoot(page, '01-sign-in');
    await page.keyboard.press('Enter');
    await onScreen(page, 'Repositories');
    await page.locator('#account', { hasText: 'Signed in as Ana Editor' }).waitFor();
    const stored = (await page.evaluate('Object.values(sessionStorage)')) as string[];
    expect(stored.find((v) => v.startsWith('crt_'))).toMatch(/^crt_[0-9a-f]{16}_/);
    expect(await page.evaluate('localStorage.length')).toBe(0);
  });

  it('creates a repository', async () => {
    const { page } = author;
    await page.locator('#new-repo-name').fill('handbook');
    await page.locator('#new-repo-description').fill('How the team works: chapters, pages and pictures');
    await page.getByRole('button', { name: 'Create repository' }).click();
    await onScreen(page, 'handbook');
    await page.getByText('This repository has no files yet.').waitFor();
    await expect.poll(() => page.locator('#notices').textContent()).toContain('Created repository handbook.');
    // A second repository, so the list screenshot shows a list.
    await page.goto(`${server.url}/#/`);
    await onScreen(page, 'Repositories');
    await page.locator('#new-repo-name').fill('style-guide');
    await page.getByRole('button', { name: 'Create repository' }).click();
    await onScreen(page, 'style-guide');
    await page.goto(`${server.url}/#/`);
    await onScreen(page, 'Repositories');
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(2);
    await shoot(page, '02-repositories');
    await page.getByRole('link', { name: 'handbook' }).click();
    await onScreen(page, 'handbook');
  });

  it('adds files: Markdown, a folder, HTML and an uploaded image, each shown by its kind', async () => {
    const { page } = author;
    await newFile(page, 'README.md', '# Team handbook\n\nStart with the [introduction](chapters/intro.md).\n\n![Our logo](logo.png)\n\n| Part | Owner |\n|---|---|\n| Intro | Ana |\n', 'Start the handbook');
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await onScreen(page, 'handbook');
    await newFile(page, 'chapters/intro.md', INTRO, 'Write the introduction');
    await page.goto(`${server.url}/#/repo/handbook/tree`);
    await onScreen(page, 'handbook');
    await newFile(page, 'page.html', '<!doctype html><h1 style="color:#1f4e79">Welcome page</h1><p>Rendered, not run.</p><script>parent.document.title = "hacked"</script>', 'Add the welcome page');
    await page.goto(`${server.url}/#/repo/handbook/tree`);
    await onScreen(page, 'handbook');
    await page.locator('#upload-input').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect.poll(() => page.locator('#notices').textContent()).toContain('Uploaded logo.png to main.');
    await expect.poll(() => page.locator('table.files tbody tr').allTextContents()).toEqual([expect.stringContaining('chapters/'), expect.stringContaining('logo.png'), expect.stringContaining('page.html'), expect.stringContaining('README.md')]);
    // The folder's README is rendered under the listing, its image fetched with the token.
    await page.locator('.readme img[alt="Our logo"]').waitFor();
    await expect.poll(() => imageWidth(page, '.readme img[alt="Our logo"]')).toBe(1);
    await shoot(page, '03-files');

    await page.getByRole('link', { name: 'README.md' }).click();
    await onScreen(page, 'README.md');
    await page.locator('.markdown table th', { hasText: 'Owner' }).waitFor();
    expect(await page.locator('.markdown a', { hasText: 'introduction' }).getAttribute('href')).toBe('#/repo/handbook/file?ref=main&path=chapters%2Fintro.md');
    await shoot(page, '04-file-markdown');

    await openFile(page, 'page.html');
    const frame = page.locator('iframe[title="Preview of page.html"]');
    expect(await frame.getAttribute('sandbox')).toBe('');
    await page.frameLocator('iframe[title="Preview of page.html"]').getByText('Welcome page').waitFor();
    // The sandbox lets nothing in the page run: the title it tried to set is untouched.
    expect(await page.title()).toBe('page.html · Content repository');
    await shoot(page, '05-file-html');

    await openFile(page, 'logo.png');
    await expect.poll(() => imageWidth(page, 'img[alt="Image logo.png"]')).toBe(1);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    expect((await download).suggestedFilename()).toBe('logo.png');
  });

  it('edits a file and saves it with the version it started from', async () => {
    const { page } = author;
    await openFile(page, 'chapters/intro.md');
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await onScreen(page, 'Edit intro.md');
    expect(await page.locator('#edit-content').inputValue()).toBe(INTRO);
    await page.locator('#edit-content').fill(INTRO.replace('explains how we work', 'explains how we plan, write and publish'));
    await page.locator('#edit-message').fill('Say what the handbook covers');
    await page.locator('#unsaved-state', { hasText: 'Unsaved changes' }).waitFor();
    await page.locator('#editor-shortcuts', { hasText: 'Ctrl+S saves · Ctrl+Shift+P switches between Edit and Preview' }).waitFor();
    await shoot(page, '06-editor');
    // Preview: the text as it will read, before it is saved.
    await page.getByRole('tab', { name: 'Preview' }).click();
    await page.locator('#panel-preview .markdown', { hasText: 'how we plan, write and publish' }).waitFor();
    expect(await page.locator('#panel-edit').isHidden()).toBe(true);
    expect(await page.getByRole('tab', { name: 'Preview' }).getAttribute('aria-selected')).toBe('true');
    await shoot(page, '14-editor-preview');
    // Ctrl+Shift+P goes back to the text, focus with it.
    await page.keyboard.press('Control+Shift+P');
    expect(await activeId(page)).toBe('edit-content');
    expect(await page.locator('#panel-preview').isHidden()).toBe(true);
    // Side by side on a wide screen: the preview follows the typing.
    await page.getByLabel('Side by side (the preview follows your typing)').check();
    expect(await page.locator('#panel-edit').isVisible()).toBe(true);
    await page.locator('#edit-content').press('End');
    await page.locator('#edit-content').pressSequentially(' Typed.');
    await page.locator('#panel-preview .markdown', { hasText: 'Typed.' }).waitFor();
    await page.getByLabel('Side by side (the preview follows your typing)').uncheck();
    await page.locator('#edit-content').fill(INTRO.replace('explains how we work', 'explains how we plan, write and publish'));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await onScreen(page, 'intro.md');
    await page.locator('.markdown', { hasText: 'how we plan, write and publish' }).waitFor();
    expect(await textOf('chapters/intro.md', 'main')).toContain('how we plan, write and publish');
    // The commit is the author's own: her name, her address.
    await page.locator('.file-info', { hasText: 'Last changed by Ana Editor' }).waitFor();
    const history = (await (await rest('GET', '/repos/handbook/commits?ref=main&per_page=1', server.adminToken)).json()) as { commits: { author: { name: string; email: string } }[] };
    expect(history.commits[0]!.author).toMatchObject({ name: 'Ana Editor', email: 'ana@example.org' });
  });

  it('shows a colleague’s save during an edit as a conflict, with a diff, and merges both', async () => {
    const { page } = author;
    colleague = await openSession(server.url);
    await signIn(colleague.page, colleagueToken);
    await openEditor(page, 'chapters/intro.md');
    await openEditor(colleague.page, 'chapters/intro.md');

    await colleague.page.locator('#edit-content').fill((await colleague.page.locator('#edit-content').inputValue()).replace('Questions go to the editors.', 'Questions go to the editors, who answer within a day.'));
    await colleague.page.locator('#edit-message').fill('Promise an answer within a day');
    await colleague.page.getByRole('button', { name: 'Save', exact: true }).click();
    await onScreen(colleague.page, 'intro.md');

    // The author's editor hears of it live, and keeps what the author is typing.
    await page.locator('#edit-warning', { hasText: 'colleague saved a newer version of this file on main' }).waitFor();
    await page.locator('#live-banner', { hasText: /main moved to [0-9a-f]{7} by colleague/ }).waitFor();
    const mine = (await page.locator('#edit-content').inputValue()).replace('# Introduction', '# Introduction to the handbook');
    await page.locator('#edit-content').fill(mine);
    await page.locator('#edit-message').fill('A clearer title');
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    await page.locator('#conflict-heading', { hasText: 'Someone else changed this file' }).waitFor();
    expect(await activeId(page)).toBe('conflict-heading');
    await expect.poll(() => page.locator('#alerts').textContent()).toContain('Not saved: someone else changed this file');
    const conflict = page.locator('section.conflict');
    await conflict.getByText('colleague', { exact: true }).waitFor();
    expect(await conflict.locator('del.diff-line').allTextContents()).toEqual(['-# Introduction', '-Questions go to the editors, who answer within a day.']);
    expect(await conflict.locator('ins.diff-line').allTextContents()).toEqual(['+# Introduction to the handbook', '+Questions go to the editors.']);
    await shoot(page, '07-conflict');

    await conflict.getByRole('button', { name: 'Merge my changes into theirs' }).click();
    await expect.poll(() => page.locator('#notices').textContent()).toContain('merged without overlap');
    const merged = await page.locator('#edit-content').inputValue();
    expect(merged).toContain('# Introduction to the handbook');
    expect(merged).toContain('who answer within a day');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await onScreen(page, 'intro.md');
    const saved = await textOf('chapters/intro.md', 'main');
    expect(saved).toContain('# Introduction to the handbook');
    expect(saved).toContain('who answer within a day');
  });

  it('starts a branch, edits on it, and merges it back', async () => {
    const { page } = author;
    await page.getByRole('link', { name: 'Branches', exact: true }).click();
    await onScreen(page, 'Branches');
    await page.locator('#new-branch-name').fill('second-edition');
    await page.getByRole('button', { name: 'Create branch' }).click();
    await expect.poll(() => page.locator('#notices').textContent()).toContain('Created branch second-edition from main.');
    await page.getByRole('rowheader', { name: 'second-edition' }).waitFor();
    await shoot(page, '08-branches');

    // Switch the whole view to the branch with the ref chooser, then edit there.
    await page.getByRole('link', { name: 'Files', exact: true }).click();
    await onScreen(page, 'handbook');
    await page.getByLabel('Branch or version').selectOption('second-edition');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    // Links of the redrawn listing name the branch; the old listing's would not.
    await page.locator('a[href*="ref=second-edition"]', { hasText: 'chapters/' }).click();
    await onScreen(page, 'chapters');
    await page.getByRole('link', { name: 'intro.md' }).click();
    await onScreen(page, 'intro.md');
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await onScreen(page, 'Edit intro.md');
    await page.getByText('Saving to branch second-edition').waitFor();
    await page.locator('#edit-content').fill(`${await page.locator('#edit-content').inputValue()}\nThe second edition adds a chapter on reviews.\n`);
    // Saved from the keyboard, without leaving the text.
    await page.locator('#edit-content').press('Control+s');
    await onScreen(page, 'intro.md');
    expect(await textOf('chapters/intro.md', 'second-edition')).toContain('chapter on reviews');
    expect(await textOf('chapters/intro.md', 'main')).not.toContain('chapter on reviews');

    await page.getByRole('link', { name: 'Compare & merge' }).click();
    await onScreen(page, 'Compare & merge');
    await page.getByLabel('Merge into (base)').selectOption('main');
    await page.getByLabel('Changes from (head)').selectOption('second-edition');
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.locator('#compare-summary', { hasText: 'second-edition has 1 commit that main does not have' }).waitFor();
    await page.locator('ins.diff-line', { hasText: 'chapter on reviews' }).waitFor();
    await shoot(page, '09-compare');
    await page.getByRole('button', { name: 'Merge second-edition into main' }).click();
    await expect.poll(() => page.locator('#notices').textContent()).toContain('Merged second-edition into main');
    expect(await textOf('chapters/intro.md', 'main')).toContain('chapter on reviews');
  });

  it('lists the conflicts of a merge that cannot be made, and moves nothing', async () => {
    const { page } = author;
    const headOf = async (b: string) => ((await (await rest('GET', `/repos/handbook/branches/${b}`, server.adminToken)).json()) as { commit: string }).commit;
    expect((await rest('PUT', '/repos/handbook/branches/clash', colleagueToken, JSON.stringify({ from: 'main' }), { 'Content-Type': 'application/json' })).status).toBe(201);
    const base = await textOf('chapters/intro.md', 'main');
    expect((await rest('PUT', '/repos/handbook/contents/chapters/intro.md?branch=clash&message=One+wording', colleagueToken, base.replace('whole team', 'whole team, together'))).status).toBe(200);
    expect((await rest('PUT', '/repos/handbook/contents/chapters/intro.md?branch=main&message=Another+wording', colleagueToken, base.replace('whole team', 'entire team'))).status).toBe(200);
    const mainBefore = await headOf('main');
    await page.goto(`${server.url}/#/repo/handbook/compare?base=main&head=clash`);
    await onScreen(page, 'Compare & merge');
    await page.getByRole('button', { name: 'Merge clash into main' }).click();
    await page.locator('#merge-conflict-heading', { hasText: 'Not merged: 1 conflict' }).waitFor();
    expect(await page.locator('ul.conflicts li').allTextContents()).toEqual([expect.stringContaining('chapters/intro.md: both sides changed the same lines')]);
    await shoot(page, '10-merge-conflict');
    expect(await headOf('main')).toBe(mainBefore);
  });

  it('publishes a version as a tag', async () => {
    const { page } = author;
    await page.getByRole('link', { name: 'Versions' }).click();
    await onScreen(page, 'Published versions');
    await page.locator('#tag-name').fill('v1.0');
    await page.getByLabel('From branch').selectOption('main');
    await page.locator('#tag-message').fill('First edition, with the introduction and the welcome page');
    await page.getByRole('button', { name: 'Publish version' }).click();
    await expect.poll(() => page.locator('#notices').textContent()).toContain('Published v1.0 from main');
    await page.getByRole('rowheader', { name: 'v1.0' }).waitFor();
    await shoot(page, '11-versions');
    const tag = (await (await rest('GET', '/repos/handbook/tags/v1.0', server.adminToken)).json()) as { commit: string; message: string };
    const main = (await (await rest('GET', '/repos/handbook/branches/main', server.adminToken)).json()) as { commit: string };
    expect(tag.commit).toBe(main.commit);
    expect(tag.message.trim()).toBe('First edition, with the introduction and the welcome page');
    // A published version is read-only in the client.
    await page.getByRole('link', { name: 'v1.0' }).click();
    await onScreen(page, 'handbook');
    await page.getByText('Read-only: published versions and commits never change').waitFor();
    expect(await page.getByRole('link', { name: 'New file' }).count()).toBe(0);
  });

  it('shows the history of a file with the changes of each version and between two versions', async () => {
    const { page } = author;
    await openFile(page, 'chapters/intro.md');
    await page.getByRole('link', { name: 'History', exact: true }).last().click();
    await onScreen(page, 'History of intro.md');
    const versions = page.locator('ol.history > li');
    await expect.poll(() => versions.count()).toBe(6);
    expect(await versions.first().locator('a').first().textContent()).toBe('Another wording');
    const toggle = versions.nth(1).getByRole('button', { name: 'Show changes' });
    await toggle.click();
    await versions.nth(1).locator('ins.diff-line', { hasText: 'chapter on reviews' }).waitFor();
    expect(await versions.nth(1).getByRole('button', { name: 'Hide changes' }).getAttribute('aria-expanded')).toBe('true');
    // From the first version to the newest: every change of the file at once.
    await versions.last().getByRole('radio', { name: /^Compare from/ }).check();
    await versions.first().getByRole('radio', { name: /^Compare to/ }).check();
    await page.getByRole('button', { name: 'Compare the selected versions' }).click();
    await page.locator('#compare-heading').waitFor();
    expect(await activeId(page)).toBe('compare-heading');
    const between = page.locator('#history-compare-result');
    await between.locator('ins.diff-line', { hasText: 'Introduction to the handbook' }).waitFor();
    await between.locator('del.diff-line', { hasText: 'explains how we work' }).waitFor();
    await shoot(page, '12-history');
    // One version on its own screen.
    await versions.first().locator('a').first().click();
    await page.locator('h1#view-title').waitFor();
    await page.locator('main:not([aria-busy="true"])').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('shows a change made by another client live: a banner, and the open file refreshed', async () => {
    const { page } = author;
    await openFile(page, 'README.md');
    await page.locator('#live-state', { hasText: 'Live updates on' }).waitFor();
    const res = await rest('PUT', '/repos/handbook/contents/README.md?branch=main&message=Welcome+new+staff', colleagueToken, '# Team handbook\n\nNew staff: start with the [introduction](chapters/intro.md).\n');
    expect(res.status).toBe(200);
    const { commit } = (await res.json()) as { commit: string };
    await page.locator('#live-banner', { hasText: `main moved to ${commit.slice(0, 7)} by colleague` }).waitFor();
    await page.locator('.markdown', { hasText: 'New staff: start with the' }).waitFor();
    await page.locator('.file-info', { hasText: 'Welcome new staff' }).waitFor();
    await shoot(page, '13-live-update');
    expect(author.problems).toEqual([]);
    expect(colleague?.problems ?? []).toEqual([]);
  });
});
