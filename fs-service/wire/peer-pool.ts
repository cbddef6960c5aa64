import type { Logger } from '../common/logging.js';
import { ShardConnection, type ConnectionOptions } from './shard-connection.js';

/** Connections to other cluster members, one per address, opened on first use. */
export class PeerPool {
  private readonly connections = new Map<string, ShardConnection>();
  private readonly disconnectListeners: ((url: string) => void)[] = [];

  constructor(
    private readonly secret: string,
    private readonly options: ConnectionOptions & { logger?: Logger },
  ) {}

  get(url: string): ShardConnection {
    let connection = this.connections.get(url);
    if (connection === undefined) {
      connection = new ShardConnection(url, this.secret, this.options);
      connection.onDisconnect(() => {
        for (const listener of this.disconnectListeners) listener(url);
      });
      this.connections.set(url, connection);
    }
    return connection;
  }

  onDisconnect(listener: (url: string) => void): void {
    this.disconnectListeners.push(listener);
  }

  closeAll(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
