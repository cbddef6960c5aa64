#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseOrExit, printHelp } from '../fs-service/index.js';
import { SYSTEM_STORE } from './auth/token-store.js';
import { loadConfig } from './config.js';
import { isValidRepoName } from './domain/index.js';
import { checkRepository, GitCache, ObjectStores } from './git/index.js';
import { openStorage } from './open-storage.js';

/**
 * npm run fsck -- [--json] [REPO...]
 * Checks what every ref reaches against the object checks pushes pass today, for repositories
 * written before those checks existed, and names the refs each bad object is reachable from. A
 * CLI: it talks to the operator on stdout. Exit 0 when every repository is clean, 1 otherwise.
 */
const USAGE = `usage: npm run fsck -- [--json] [REPO...]
  checks every object the refs of each repository (all of them when none is named) reach:
  git's object checks (names, modes, order, identities, dates), the type of every link, and
  that nothing is missing; each bad object is listed with the refs that reach it.
  Exit status: 0 clean, 1 problems found, 2 usage.
options:
  --json       one JSON line per repository instead of text
  --help, -h   print this text and exit
storage, the server's own: DATA_DIR (default ./data; stop the embedded server first, it holds
the folder), or FS_ETCD (and FS_CLUSTER) with FS_CLUSTER_SECRET (any time)`;

function commandLine(): { json: boolean; repos: string[] } {
  return parseOrExit(USAGE, () => {
    const { values, positionals } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help === true) printHelp(USAGE);
    for (const repo of positionals) if (!isValidRepoName(repo)) throw new Error(`"${repo}" is not a repository name`);
    return { json: values.json === true, repos: positionals };
  });
}

async function main(): Promise<void> {
  const { json, repos } = commandLine();
  const storage = await openStorage(loadConfig([]));
  let faulty = 0;
  try {
    const names = repos.length > 0 ? repos : (await storage.listRepos()).filter((name) => name !== SYSTEM_STORE);
    const objects = new ObjectStores(storage, new GitCache());
    for (const repo of names) {
      const result = await checkRepository(objects.get(repo));
      if (result.faults.length > 0) faulty++;
      if (json) {
        process.stdout.write(`${JSON.stringify({ repo, ...result })}\n`);
        continue;
      }
      const verdict = result.faults.length === 0 ? 'clean' : `${result.faults.length} bad object(s)`;
      process.stdout.write(`${repo}: ${result.refs} refs, ${result.objects} objects: ${verdict}\n`);
      for (const fault of result.faults) {
        process.stdout.write(`  ${fault.oid}: ${fault.problem}\n    reached from: ${fault.refs.join(', ') || '(no ref)'}\n`);
      }
    }
  } finally {
    await storage.close();
  }
  process.exitCode = faulty > 0 ? 1 : 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
