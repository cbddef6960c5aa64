import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStorage, openEmbeddedStorage, type Storage } from '../../fs-service/index.js';
import { runScriptedSession, type SessionResult, FILES, MAIN_COMMITS, FEATURE_COMMITS } from './git-session.js';

const root = mkdtempSync(join(tmpdir(), 'fs-session-'));
const opened: Storage[] = [];
afterAll(async () => {
  for (const storage of opened) await storage.close();
  rmSync(root, { recursive: true, force: true });
});

const results = new Map<string, SessionResult>();

describe('the scripted isomorphic-git session', () => {
  it('runs on memfs (MemoryStorage)', async () => {
    const result = await runScriptedSession(new MemoryStorage().repo('session'));
    expect(result.fileCount).toBe(FILES);
    expect(result.logOids).toHaveLength(MAIN_COMMITS + FEATURE_COMMITS + 1);
    expect(result.branches).toEqual(['feature', 'main']);
    expect(result.indexedOids).toHaveLength(FEATURE_COMMITS * 3);
    results.set('memfs', result);
  });

  it('gives identical object ids and results on the embedded disk engine', async () => {
    const storage = await openEmbeddedStorage(join(root, 'embedded'));
    opened.push(storage);
    results.set('embedded', await runScriptedSession(storage.repo('session')));
    expect(results.get('embedded')).toEqual(results.get('memfs'));
  });
});
