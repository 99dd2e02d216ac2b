import type { NatsConnection } from 'nats';
import { encode } from '../codec/index.ts';
import { Subjects } from '../protocol/index.ts';

const DRIVER_HEARTBEAT_MS = 1000;

export interface DriverHeartbeat {
  /** Stops the heartbeats and tells the head the job ended: its actors and tasks stop. */
  end(): void;
}

/**
 * Keeps the job of a driver that joined a cluster on its own alive on the head (see
 * head/drivers.ts): when the heartbeats stop, the driver is taken for gone and its job ends.
 */
export function startDriverHeartbeat(nc: NatsConnection, jobId: string): DriverHeartbeat {
  const publish = (subject: string) => {
    try {
      nc.publish(subject, encode({ jobId }));
    } catch {
      // Connection closed: the head finds out through the missing heartbeats.
    }
  };
  publish(Subjects.driverAlive);
  const timer = setInterval(() => publish(Subjects.driverAlive), DRIVER_HEARTBEAT_MS);
  timer.unref();
  return {
    end() {
      clearInterval(timer);
      publish(Subjects.jobEnded);
    },
  };
}
