/** Where runtime passes run (env → settings → store + engine), shared by `runtime serve` and `runtime tick` / `watch`. */
export {
  readDeploymentSettings,
  deploymentProblems,
  databricksCatalog,
  type DeploymentEnv,
  type DeploymentSettings,
  type DeploymentSettingsResult,
  type DatabricksDeploymentSettings,
  type LocalDeploymentSettings,
} from './settings';
export { buildDeployment, buildObjectStore, buildEngine, describeDeployment, type Deployment, type DeploymentOptions, type DeploymentTuning } from './build';
export { databricksToken, fileTokenProvider, type TokenFileOptions } from './token-file';
export { ConfigReloader, participantChanges, type ConfigReload, type ConfigReloaderOptions } from './config-reloader';
export { LiveDeployment, type LiveDeploymentOptions } from './live-deployment';
