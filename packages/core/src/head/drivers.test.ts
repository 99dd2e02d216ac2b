import { describe, expect, it } from 'vitest';
import { DriverLeases } from './drivers.ts';

describe('driver leases', () => {
  it('a driver silent past the timeout expires once; one heard from, forgotten or restarted does not', () => {
    const leases = new DriverLeases(5_000);
    leases.heard('driver-a', 0);
    leases.heard('driver-b', 0);
    leases.heard('driver-c', 0);
    leases.forget('driver-c'); // its job ended some other way
    leases.heard('driver-b', 4_000);
    expect(leases.takeExpired(5_000)).toEqual([]);
    expect(leases.takeExpired(5_001)).toEqual(['driver-a']);
    expect(leases.takeExpired(20_000)).toEqual(['driver-b']);
    expect(leases.takeExpired(60_000)).toEqual([]);

    // After the head itself was stalled, every driver gets a whole timeout again.
    leases.heard('driver-d', 0);
    leases.restartClocks(30_000);
    expect(leases.takeExpired(34_000)).toEqual([]);
    expect(leases.takeExpired(35_001)).toEqual(['driver-d']);
  });
});
