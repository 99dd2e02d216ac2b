import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3ServerHandle, startS3Server } from '../../../../test/harness/s3.ts';
import { storageFor } from '../storage/index.ts';
import { Checkpoint } from './checkpoint.ts';
import { MARKER_FILE } from './marker.ts';
import { latestCheckpoint, listCheckpoints, persistCheckpoint } from './persist.ts';

const MIB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('checkpoint on s3', () => {
  let server: S3ServerHandle;
  let scratch: string;
  let storage: { s3: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string } };
  beforeAll(async () => {
    server = await startS3Server({ buckets: ['ckpt'] });
    const { endpoint, accessKeyId, secretAccessKey, region } = server;
    storage = { s3: { endpoint, accessKeyId, secretAccessKey, region } };
    scratch = await mkdtemp(join(tmpdir(), 'manta-ckpt-s3-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  async function folder(name: string, files: Record<string, Uint8Array | string>): Promise<string> {
    const dir = join(scratch, name);
    for (const [path, data] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), data);
    }
    return dir;
  }

  it('checkpoint on s3 - persists, lists, materialises and deletes', async () => {
    const run = 's3://ckpt/runs/small';
    const dir = await folder('small', { 'model.json': '{"k":1}', 'w/a.bin': randomBytes(1000) });
    const persisted = await persistCheckpoint(Checkpoint.fromDirectory(dir), run, {
      index: 2,
      metrics: { acc: 0.7 },
      storage,
    });
    expect(persisted.uri).toBe('s3://ckpt/runs/small/checkpoint_000002');
    expect(persisted.path).toBe('ckpt/runs/small/checkpoint_000002');
    expect((await latestCheckpoint(run, { storage }))?.marker.metrics).toEqual({ acc: 0.7 });
    const local = await persisted.toDirectory(join(scratch, 'small-back'));
    expect(await readFile(join(local, 'model.json'), 'utf8')).toBe('{"k":1}');
    expect(sha256(await readFile(join(local, 'w/a.bin')))).toBe(sha256(await readFile(join(dir, 'w/a.bin'))));
    await persisted.delete();
    expect(await listCheckpoints(run, { storage })).toEqual([]);
    const s3 = storageFor(run, storage);
    expect(await s3.list('')).toEqual([]);
    await s3.close();
  });

  it('checkpoint on s3 - a checkpoint over 64 MB streams up in parallel multipart parts and comes back intact', async () => {
    const big = randomBytes(70 * MIB);
    const dir = await folder('big', { 'weights.bin': big, 'model.json': '{}' });
    server.clearRequests();
    // Streamed from disk (not read whole first), as checkpoints too big for memory are.
    const streamed = { s3: { ...storage.s3, bufferFilesUpToBytes: 0 } };
    const persisted = await persistCheckpoint(Checkpoint.fromDirectory(dir), 's3://ckpt/runs/big', {
      index: 0,
      storage: streamed,
    });
    const parts = server.requests.filter((r) => r.method === 'PUT' && r.query.includes('partNumber'));
    expect(server.requests.some((r) => r.method === 'POST' && r.query.includes('uploads'))).toBe(true);
    expect(parts.length).toBe(Math.ceil((70 * MIB) / (8 * MIB)));
    expect((await persisted.assertComplete()).files).toEqual({ 'model.json': 2, 'weights.bin': 70 * MIB });
    // asDirectory downloads into a temp folder and removes it afterwards, also when `use` throws.
    let back = '';
    const digest = await persisted.asDirectory(async (dir) => {
      back = dir;
      return sha256(await readFile(join(dir, 'weights.bin')));
    });
    expect(digest).toBe(sha256(big));
    expect(existsSync(back)).toBe(false);
    await expect(
      persisted.asDirectory((dir) => {
        back = dir;
        throw new Error('reader failed');
      }),
    ).rejects.toThrow('reader failed');
    expect(existsSync(back)).toBe(false);
    await persisted.delete();
  });

  it('checkpoint on s3 - a process SIGKILLed mid-upload leaves nothing that looks complete', async () => {
    const run = 's3://ckpt/runs/crash';
    const payload = randomBytes(40 * MIB);
    const dir = await folder('crash', { 'a.json': '{"a":1}', 'weights.bin': payload, 'z.json': '{"z":1}' });
    server.clearRequests();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./crash_child.fixture.ts', import.meta.url)), dir, run, '0'],
      { env: { ...process.env, ...server.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(signal ?? code)),
    );
    try {
      // Kill it once two multipart parts of weights.bin have arrived.
      const deadline = Date.now() + 30_000;
      while (server.requests.filter((r) => r.query.includes('partNumber')).length < 2) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`child did not reach the upload:\n${output}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
    }
    expect(output).not.toContain('persisted');

    const s3 = storageFor(run, storage);
    try {
      const left = await s3.list('');
      // The crash came mid-upload: the first file made it, the marker did not.
      expect(left).toContain('checkpoint_000000/a.json');
      expect(left).not.toContain(`checkpoint_000000/${MARKER_FILE}`);
      expect(await listCheckpoints(run, { storage })).toEqual([]);
      expect(await latestCheckpoint(run, { storage })).toBeUndefined();
      await expect(
        Checkpoint.fromUri(`${run}/checkpoint_000000`, storage).assertComplete(),
      ).rejects.toMatchObject({
        code: 'CHECKPOINT_INCOMPLETE',
      });

      // Persisting the same index again replaces the leftovers with a complete checkpoint.
      const persisted = await persistCheckpoint(Checkpoint.fromDirectory(dir), run, { index: 0, storage });
      expect((await latestCheckpoint(run, { storage }))?.checkpoint.uri).toBe(persisted.uri);
      const back = await persisted.toDirectory(join(scratch, 'crash-back'));
      expect(sha256(await readFile(join(back, 'weights.bin')))).toBe(sha256(payload));
    } finally {
      await s3.close();
    }
  });
});
