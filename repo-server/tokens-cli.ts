#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { parseOrExit, printHelp } from '../fs-service/index.js';
import { isRole, type Grants, type Role } from './auth/roles.js';
import { TokenStore } from './auth/token-store.js';
import { loadConfig } from './config.js';
import { openStorage } from './open-storage.js';

/**
 * npm run tokens -- create --name NAME [--global ROLE] [--repo REPO=ROLE ...]
 *                   list | revoke ID
 * Works on the same storage as the server (DATA_DIR, or FS_ETCD + FS_CLUSTER_SECRET). A CLI:
 * it talks to the operator on stdout. The secret of a new token is printed once.
 */
const USAGE = `usage: npm run tokens -- create --name NAME [--global ROLE] [--repo REPO=ROLE]... | list | revoke ID
  create    make a token; prints its record, then its secret (shown this once only)
  list      print every token's record (never a secret)
  revoke    revoke the token with that id
options:
  --name NAME        create: what the token is for (required)
  --global ROLE      create: read, write or admin on every repository
  --repo REPO=ROLE   create: read, write or admin on one repository (repeatable)
  --help, -h         print this text and exit
storage, the server's own: DATA_DIR (default ./data), or FS_ETCD (and FS_CLUSTER) with FS_CLUSTER_SECRET`;

type Command = (tokens: TokenStore) => Promise<void>;

function role(value: string, where: string): Role {
  if (!isRole(value)) throw new Error(`${where}: role must be read, write or admin`);
  return value;
}

/** What to do, from the command line alone: --help, an unknown option or command, or a bad role end here, before storage is opened. */
function commandLine(): Command {
  return parseOrExit(USAGE, (): Command => {
    const { values, positionals } = parseArgs({
      allowPositionals: true,
      options: { name: { type: 'string' }, global: { type: 'string' }, repo: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help === true) printHelp(USAGE);
    const [command, arg] = positionals;
    const extra = positionals[command === 'revoke' ? 2 : 1];
    if (extra !== undefined) throw new Error(`unexpected argument "${extra}"`);
    if (command === 'create') {
      const name = values.name;
      if (name === undefined) throw new Error('create needs --name');
      const grants: Grants = {};
      if (values.global !== undefined) grants.global = role(values.global, '--global');
      for (const item of values.repo ?? []) {
        const [repo, r] = item.split('=');
        if (repo === undefined || r === undefined) throw new Error(`--repo wants REPO=ROLE, got ${item}`);
        grants.repos = { ...grants.repos, [repo]: role(r, `--repo ${item}`) };
      }
      if (grants.global === undefined && grants.repos === undefined) throw new Error('give --global ROLE and/or --repo REPO=ROLE');
      return async (tokens) => {
        const created = await tokens.create(name, grants);
        process.stdout.write(`${JSON.stringify(created.record)}\n${created.token}\n`);
      };
    }
    if (command === 'list') {
      return async (tokens) => {
        for (const t of await tokens.list()) process.stdout.write(`${JSON.stringify(t)}\n`);
      };
    }
    if (command === 'revoke') {
      if (arg === undefined) throw new Error('revoke needs a token id');
      return async (tokens) => {
        if (!(await tokens.revoke(arg))) throw new Error(`no token ${arg}`);
        process.stdout.write(`revoked ${arg}\n`);
      };
    }
    throw new Error(command === undefined ? 'no command given' : `unknown command "${command}"`);
  });
}

async function main(): Promise<void> {
  const command = commandLine();
  const storage = await openStorage(loadConfig([]));
  try {
    await command(new TokenStore(storage));
  } finally {
    await storage.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
