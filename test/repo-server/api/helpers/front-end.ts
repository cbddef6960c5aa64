/**
 * A whole front end as production starts it (startServer: REST, git, /events WebSocket) on
 * 127.0.0.1 and a free port, over a storage the test owns.
 */
import { Writable } from 'node:stream';
import type { Storage } from '../../../../fs-service/index.js';
import { loadConfig, type ServerConfig } from '../../../../repo-server/config.js';
import { createLogger, type Logger } from '../../../../repo-server/observability/logger.js';
import { type RunningServer, startServer } from '../../../../repo-server/server.js';
import { sharedStorage } from './storages.js';

export async function startFrontEnd(storage: Storage, opts: { auth: boolean; logger?: Logger; env?: NodeJS.ProcessEnv; config?: Partial<ServerConfig> }): Promise<RunningServer> {
  return startServer(
    // The defaults of an empty environment (embedded mode, or the given one), on a free loopback port.
    { ...loadConfig([], opts.env ?? {}), host: '127.0.0.1', port: 0, dataDir: '(test storage)', logLevel: 'silent', auth: opts.auth, ...opts.config },
    // The test closes the storage itself; several front ends may share it.
    sharedStorage(storage),
    opts.logger ?? createLogger('silent'),
  );
}

/** A pino logger at debug level writing its JSON lines into memory, for scanning. */
export function capturedLogger(): { logger: Logger; text(): string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('debug', sink), text: () => chunks.join('') };
}
