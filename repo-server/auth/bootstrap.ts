import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenStore } from './token-store.js';

/**
 * Secure by default: the first start of an empty service creates one admin token, writes it to
 * <dataDir>/admin-token readable only by its owner, and returns it so the entry point can print
 * it once. Later starts create nothing.
 */
export async function ensureAdminToken(tokens: TokenStore, dataDir: string): Promise<{ token: string; file: string } | null> {
  if (!(await tokens.isEmpty())) return null;
  const { token } = await tokens.create('admin', { global: 'admin' });
  const file = join(dataDir, 'admin-token');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, file };
}
