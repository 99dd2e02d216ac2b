import { spawn } from 'node:child_process';
import { startNatsServer } from '/work/main/packages/core/src/nats/server.ts';
const s = await startNatsServer({ jetstream: false });
const [n, transport, mb, algo, chunk, prof] = process.argv.slice(2);
const ps = Array.from({ length: +n }, (_, r) => spawn(process.execPath, [...(prof && r === 0 ? ['--cpu-prof', '--cpu-prof-dir=/tmp/scratch/prof'] : []), '--import', 'tsx', '/work/main/packages/core/src/collective/.scratch/prof.mts', s.url, s.token, String(r), n, transport, mb, algo ?? 'ring', chunk ?? ''], { stdio: 'inherit' }));
await Promise.all(ps.map(p => new Promise(r => p.on('exit', r))));
await s.stop();
