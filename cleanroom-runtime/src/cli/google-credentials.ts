/**
 * Where Google's client libraries would find credentials (application default credentials), checked without a
 * network call, so a command that needs Cloud Storage says at once what is missing instead of failing after its
 * retries: GOOGLE_APPLICATION_CREDENTIALS, gcloud's application default credentials file, or a Google Cloud runtime
 * (Cloud Run, Cloud Functions, a Compute Engine VM) whose metadata server provides them.
 * https://cloud.google.com/docs/authentication/application-default-credentials#order
 */
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type Env = Readonly<Record<string, string | undefined>>;

const LOCAL_HINT = 'for a local rehearsal instead, give --local-root <folder> (or CLEANROOM_LOCAL_ROOT)';

export type CredentialsCheck = { ok: true; source: string } | { ok: false; problem: string };

/** gcloud's configuration folder: CLOUDSDK_CONFIG, else %APPDATA%\gcloud on Windows, else ~/.config/gcloud. */
export function gcloudConfigDir(env: Env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.CLOUDSDK_CONFIG) return env.CLOUDSDK_CONFIG;
  if (platform === 'win32' && env.APPDATA) return path.join(env.APPDATA, 'gcloud');
  return path.join(home, '.config', 'gcloud');
}

/** Linux hosts on Compute Engine (and the runtimes built on it) say so in their DMI data. */
function onGoogleCompute(): boolean {
  try {
    return /Google/.test(readFileSync('/sys/class/dmi/id/bios_vendor', 'utf8')) || /Google/.test(readFileSync('/sys/class/dmi/id/product_name', 'utf8'));
  } catch {
    return false;
  }
}

export function findGoogleCredentials(env: Env, options: { home?: string; platform?: NodeJS.Platform; onGoogleCloud?: () => boolean } = {}): CredentialsCheck {
  const keyFile = env.GOOGLE_APPLICATION_CREDENTIALS?.trim();
  if (keyFile) {
    return existsSync(keyFile)
      ? { ok: true, source: `GOOGLE_APPLICATION_CREDENTIALS (${keyFile})` }
      : { ok: false, problem: `GOOGLE_APPLICATION_CREDENTIALS names ${keyFile}, which does not exist: fix the path, or unset it to use \`gcloud auth application-default login\`; ${LOCAL_HINT}` };
  }
  const adc = path.join(gcloudConfigDir(env, options.platform, options.home), 'application_default_credentials.json');
  if (existsSync(adc)) return { ok: true, source: `gcloud application default credentials (${adc})` };
  const cloudRuntime = ['K_SERVICE', 'CLOUD_RUN_JOB', 'FUNCTION_TARGET', 'GCE_METADATA_HOST', 'GCE_METADATA_IP'].find((name) => env[name]);
  if (cloudRuntime) return { ok: true, source: `the metadata server (${cloudRuntime} is set)` };
  if ((options.onGoogleCloud ?? onGoogleCompute)()) return { ok: true, source: 'the metadata server (a Compute Engine host)' };
  return {
    ok: false,
    problem:
      'no Google credentials to read Cloud Storage with: run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS ' +
      `to a service account key file); ${LOCAL_HINT}`,
  };
}
