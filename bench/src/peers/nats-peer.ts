/**
 * The raw-NATS side of the core benchmarks' baselines, in its own process: answers requests on
 * `bench.echo` with their payload, and on `bench.sink` counts bytes until `bench.sink.expect`
 * bytes arrived, then replies to the last message.
 */
import { connect } from 'nats';

const nc = await connect({ servers: process.env.BENCH_NATS_URL, token: process.env.BENCH_NATS_TOKEN });
nc.subscribe('bench.echo', { callback: (_e, msg) => msg.respond(msg.data) });
let expected = 0;
let received = 0;
nc.subscribe('bench.sink.expect', {
  callback: (_e, msg) => {
    expected = Number(new TextDecoder().decode(msg.data));
    received = 0;
    msg.respond();
  },
});
nc.subscribe('bench.sink', {
  callback: (_e, msg) => {
    received += msg.data.byteLength;
    if (received >= expected && msg.reply) msg.respond();
  },
});
await nc.flush();
process.stdout.write('ready\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
