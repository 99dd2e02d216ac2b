export { startClusterDashboard } from './cluster.ts';
export {
  type DashboardHandle,
  type DashboardOptions,
  DashboardOptionsSchema,
  startDashboard,
} from './server.ts';
export {
  answerDashboardInfo,
  DASHBOARD_INFO_SUBJECT,
  type DashboardInfo,
  type DashboardSource,
  findDashboard,
  natsSource,
} from './source.ts';
