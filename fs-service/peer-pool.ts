import type { Logger } from './logging.js';
import { ShardConnection, type ConnectionOptions } from './shard-connection.js';

/** Connections to other cluster members, one per address, opened on first use. */
export class PeerPool {
  private readonly connections = new Map<string, ShardConnection>();

  constructor(
    private readonly secret: string,
    private readonly options: ConnectionOptions & { logger?: Logger },
  ) {}

  get(url: string): ShardConnection {
    let connection = this.connections.get(url);
    if (connection === undefined) {
      connection = new ShardConnection(url, this.secret, this.options);
      this.connections.set(url, connection);
    }
    return connection;
  }

  closeAll(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }
}
