/**
 * Bulk bytes over NATS: every rank subscribes to its own subject
 * `manta.collective.<group>.rank.<rank>` and peers publish frames to it, each frame under the
 * server's max_payload. Order is kept per publisher, which is all the protocol needs.
 */
import type { Subscription } from 'nats';
import { decodeFrame, encodeHeader, FRAME_HEADER_BYTES } from './frame.ts';
import type { Frame, PreparedTransport, Transport, TransportConfig, TransportContext } from './types.ts';

export const rankSubject = (group: string, rank: number) => `manta.collective.${group}.rank.${rank}`;

/** Room left under max_payload for the frame header and protocol slack. */
const SLACK_BYTES = 1024;

export const natsTransport: TransportConfig = {
  name: 'nats',
  async prepare(ctx: TransportContext): Promise<PreparedTransport> {
    const sub: Subscription = ctx.nc.subscribe(rankSubject(ctx.group, ctx.rank), {
      callback: (error, msg) => {
        if (error) return;
        ctx.events.onFrame(decodeFrame(msg.data));
      },
    });
    // The subscription must be live at the server before peers learn we joined.
    await ctx.nc.flush();
    const maxPayload = Math.max(
      4096,
      (ctx.nc.info?.max_payload ?? 1024 * 1024) - FRAME_HEADER_BYTES - SLACK_BYTES,
    );
    const transport: Transport = {
      name: 'nats',
      maxPayload,
      send(to: number, frame: Frame) {
        const header = encodeHeader(frame);
        const data = new Uint8Array(FRAME_HEADER_BYTES + frame.payload.byteLength);
        data.set(header, 0);
        data.set(frame.payload, FRAME_HEADER_BYTES);
        ctx.nc.publish(rankSubject(ctx.group, to), data);
      },
      // publish() copies into the client's outbound buffer right away.
      async settled() {},
      async close() {
        if (ctx.nc.isClosed()) return;
        await ctx.nc.flush().catch(() => undefined);
        sub.unsubscribe();
      },
    };
    return {
      address: `nats:${ctx.rank}`,
      async connect() {
        return transport;
      },
      async abandon() {
        sub.unsubscribe();
      },
    };
  },
};
