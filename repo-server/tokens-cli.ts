import { parseArgs } from 'node:util';
import { connectCluster, openEmbeddedStorage, type Storage } from '../fs-service/index.js';
import { isRole, type Grants, type Role } from './auth/roles.js';
import { TokenStore } from './auth/token-store.js';
import { loadConfig } from './config.js';

/**
 * npm run tokens -- create --name NAME [--global ROLE] [--repo REPO=ROLE ...]
 *                   list | revoke ID
 * Works on the same storage as the server (DATA_DIR, or FS_SHARDS + FS_CLUSTER_SECRET). A CLI:
 * it talks to the operator on stdout. The secret of a new token is printed once.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { name: { type: 'string' }, global: { type: 'string' }, repo: { type: 'string', multiple: true } },
});

function role(value: string, where: string): Role {
  if (!isRole(value)) throw new Error(`${where}: role must be read, write or admin`);
  return value;
}

async function open(): Promise<Storage> {
  const config = loadConfig([]);
  if (config.shards.length === 0) return openEmbeddedStorage(config.dataDir);
  if (config.clusterSecret === undefined) throw new Error('FS_SHARDS is set but FS_CLUSTER_SECRET is not');
  return connectCluster({ shards: config.shards, secret: config.clusterSecret });
}

async function main(): Promise<void> {
  const [command, arg] = positionals;
  const storage = await open();
  try {
    const tokens = new TokenStore(storage);
    if (command === 'create') {
      if (values.name === undefined) throw new Error('create needs --name');
      const grants: Grants = {};
      if (values.global !== undefined) grants.global = role(values.global, '--global');
      for (const item of values.repo ?? []) {
        const [repo, r] = item.split('=');
        if (repo === undefined || r === undefined) throw new Error(`--repo wants REPO=ROLE, got ${item}`);
        grants.repos = { ...grants.repos, [repo]: role(r, `--repo ${item}`) };
      }
      if (grants.global === undefined && grants.repos === undefined) throw new Error('give --global ROLE and/or --repo REPO=ROLE');
      const created = await tokens.create(values.name, grants);
      process.stdout.write(`${JSON.stringify(created.record)}\n${created.token}\n`);
    } else if (command === 'list') {
      for (const t of await tokens.list()) process.stdout.write(`${JSON.stringify(t)}\n`);
    } else if (command === 'revoke') {
      if (arg === undefined) throw new Error('revoke needs a token id');
      if (!(await tokens.revoke(arg))) throw new Error(`no token ${arg}`);
      process.stdout.write(`revoked ${arg}\n`);
    } else {
      throw new Error('usage: npm run tokens -- create --name NAME [--global ROLE] [--repo REPO=ROLE] | list | revoke ID');
    }
  } finally {
    await storage.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
