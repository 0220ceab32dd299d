/** A gs:// location of a dataset or an output, parsed with participant-facing errors. */
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
