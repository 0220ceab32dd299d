/** Stateless page tokens for listings: the token carries the last key returned, the next page starts after it. */

export function encodePageToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

export function decodePageToken(token: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new Error(`invalid page token ${JSON.stringify(token)}: pass back the nextPageToken of a previous listing unchanged`);
  }
  return Buffer.from(token, 'base64url').toString('utf8');
}
