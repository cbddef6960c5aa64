import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface Frame {
  opcode: number;
  payload: Buffer;
}

/**
 * A WebSocket client made of a bare TCP socket: it can stop reading (a slow consumer) or read
 * without ever answering a ping (a dead peer), which the ws client never does.
 */
export class RawWebSocket {
  private buffer = Buffer.alloc(0);
  readonly frames: Frame[] = [];
  bytesAfterHandshake = 0;
  ended = false;

  private constructor(readonly socket: Socket) {}

  static async open(base: string, path: string): Promise<RawWebSocket> {
    const url = new URL(base);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const raw = new RawWebSocket(socket);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, head.indexOf('\r\n')).toString();
        if (!status.includes(' 101 ')) return reject(new Error(`upgrade refused: ${status}`));
        socket.on('data', (c: Buffer) => raw.take(c));
        socket.on('end', () => (raw.ended = true));
        socket.on('close', () => (raw.ended = true));
        raw.take(head.subarray(end + 4));
        resolve();
      };
      socket.on('data', onData);
    });
    socket.on('error', () => (raw.ended = true));
    return raw;
  }

  private take(chunk: Buffer): void {
    this.bytesAfterHandshake += chunk.length;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const opcode = this.buffer[0]! & 0x0f;
      let length = this.buffer[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buffer.length < at + length) return;
      this.frames.push({ opcode, payload: Buffer.from(this.buffer.subarray(at, at + length)) });
      this.buffer = this.buffer.subarray(at + length);
    }
  }

  /** Text messages received so far, parsed. */
  messages(): { type: string; [key: string]: unknown }[] {
    return this.frames.filter((f) => f.opcode === 1).map((f) => JSON.parse(f.payload.toString('utf8')) as { type: string });
  }

  /** The close code the server sent, if a close frame arrived. */
  closeCode(): number | undefined {
    const close = this.frames.find((f) => f.opcode === 8);
    return close === undefined || close.payload.length < 2 ? undefined : close.payload.readUInt16BE(0);
  }

  pings(): number {
    return this.frames.filter((f) => f.opcode === 9).length;
  }

  async until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
