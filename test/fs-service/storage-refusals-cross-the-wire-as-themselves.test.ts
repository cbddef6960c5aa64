/**
 * A shard's StorageUnavailable (an unknown outcome when its etcd lease lapsed mid-write) reaches
 * the client as a StorageUnavailable with its reason and Retry-After, so the front end answers 503
 * rather than 500; other errors keep their kind.
 */
import { describe, expect, it } from 'vitest';
import { FsError, StorageUnavailable, unavailability } from '../../fs-service/contract.js';
import { errorFromWire, errorToWire, QuorumError, Refusal } from '../../fs-service/wire/wire-errors.js';

const roundTrip = (err: unknown) => errorFromWire(errorToWire(err) as unknown as Record<string, unknown>);

describe('errors on the shard wire', () => {
  it('a StorageUnavailable keeps its reason, message and retry time', () => {
    const back = roundTrip(new StorageUnavailable('outcome-unknown', 'shard s1 lost its etcd lease before acknowledging the write', 2));
    expect(back).toBeInstanceOf(StorageUnavailable);
    expect(unavailability(back)).toMatchObject({ reason: 'outcome-unknown', retryAfterSeconds: 2, code: 'EIO', message: 'EIO: outcome-unknown: shard s1 lost its etcd lease before acknowledging the write' });
  });

  it('refusals, quorum errors and plain fs errors stay what they were', () => {
    expect(roundTrip(new Refusal('frozen', 'vbucket 3 is frozen'))).toMatchObject({ reason: 'frozen', code: 'ESTALE' });
    expect(roundTrip(new QuorumError('vbucket 3 update 9 reached 1 of 3 copies'))).toBeInstanceOf(QuorumError);
    const missing = roundTrip(new FsError('ENOENT', 'no such file', 'a/b'));
    expect(missing).not.toBeInstanceOf(StorageUnavailable);
    expect(missing).toMatchObject({ code: 'ENOENT', path: 'a/b' });
  });

  it('a malformed unavailable field is a plain error, not a refusal with a made-up retry time', () => {
    expect(unavailability(errorFromWire({ ok: false, code: 'EIO', message: 'x', unavailable: { reason: 'read-only' } }))).toBeNull();
  });
});
