export {
  DEFAULT_EXCLUDES,
  DEFAULT_MAX_PACKAGE_BYTES,
  listPackageFiles,
  type Package,
  PackageTooLargeError,
  packWorkingDir,
  unpackPackage,
} from './archive.ts';
export { getJob, listJobs, type SubmitJobOptions, type SubmittedJob, stopJob, submitJob } from './client.ts';
export { JobLogWriter, type ReadLogsOptions, readJobLogs } from './logs.ts';
export {
  localModuleUrl,
  type PackageLocation,
  packageOf,
  registerPackageRoot,
  setPackageProvider,
} from './module-map.ts';
export { ensurePackage, linkNodeModules, mantaNodeModules } from './packages.ts';
export { type JobStoreHandles, openJobStore } from './store.ts';
export { JobSupervisor, type JobSupervisorOptions } from './supervisor.ts';
export {
  isTerminal,
  type JobRecord,
  JobStatus,
  JobStore,
  JobSubjects,
  jobIdPattern,
  type PackageRef,
  packageHashPattern,
} from './types.ts';
