/**
 * Where a gs:// location lives on disk in local mode (`<localRoot>/gs/<bucket>/<key>`, the LocalObjectStore
 * mapping), with participant-facing errors.
 */
import * as path from 'node:path';
import { localPathFor } from '../../storage/local-store';
import { parseGsUri } from '../../storage/location';
import { RunFailure } from './run-failure';

export interface GsLocation {
  bucket: string;
  /** Object name or folder inside the bucket, without a trailing slash; '' for the bucket itself. */
  key: string;
}

export function parseGsLocation(uri: string): GsLocation {
  try {
    const { bucket, key } = parseGsUri(uri);
    return { bucket, key: key.replace(/\/+$/, '') };
  } catch (error) {
    throw new RunFailure(error instanceof Error ? error.message : String(error));
  }
}

export function localPathOf(localRoot: string, location: GsLocation): string {
  if (location.key === '') return path.join(path.resolve(localRoot), 'gs', location.bucket);
  return localPathFor(localRoot, location.bucket, location.key);
}
