import type { NatsConnection } from 'nats';
import type { Logger } from '../logging/index.ts';
import { type DashboardHandle, type DashboardOptions, startDashboard } from './server.ts';
import { answerDashboardInfo, natsSource } from './source.ts';

/**
 * The dashboard of a head: reads the cluster over `nc` and answers `manta status` asking
 * where it is. What `manta start --head --dashboard-port` and `init({ dashboardPort })` run.
 */
export async function startClusterDashboard(
  nc: NatsConnection,
  options: DashboardOptions,
  log?: Logger,
): Promise<DashboardHandle> {
  const dashboard = await startDashboard(natsSource(nc), options, log);
  const info = answerDashboardInfo(nc, {
    url: dashboard.url,
    auth: dashboard.requiresToken ? 'token' : 'none',
  });
  return {
    ...dashboard,
    close: async () => {
      info.unsubscribe();
      await dashboard.close();
    },
  };
}
