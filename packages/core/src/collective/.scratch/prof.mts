import { connect } from 'nats';
import { createCollectiveGroup } from '/work/main/packages/core/src/collective/index.ts';
const [url, token, rank, n, transport, mb, algo, chunk] = process.argv.slice(2);
const nc = await connect({ servers: url, token });
const g = await createCollectiveGroup({ nc, group: 'prof', rank: +rank, worldSize: +n, transport: transport as 'tcp', chunkBytes: chunk ? +chunk : undefined });
const buf = new Float32Array(Math.round(+mb * 1024 * 256));
const times = [];
for (let i = 0; i < 12; i++) { await g.barrier(); const t = performance.now(); await g.allReduce(buf, 'sum', { algorithm: (algo || 'ring') as 'ring' }); times.push(Math.round(performance.now() - t)); }
console.log(rank, times.join(' '));
await g.destroy(); await nc.close();
