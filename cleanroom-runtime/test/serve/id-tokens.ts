/**
 * Test-only stand-in for Google's token issuer: a locally generated RSA key pair signs ID tokens shaped like
 * the ones Cloud Scheduler and Pub/Sub push send; the public key is handed to certsTokenVerifier, so the real
 * google-auth-library verification runs against it.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { certsTokenVerifier, type TokenVerifier } from '../../src/serve/oidc';

export const AUDIENCE = 'https://cleanroom-runtime-abc123-ew.a.run.app';
export const SCHEDULER_SA = 'cleanroom-scheduler@demo-project.iam.gserviceaccount.com';
export const PUSH_SA = 'cleanroom-pubsub@demo-project.iam.gserviceaccount.com';

export interface Issuer {
  kid: string;
  privateKey: KeyObject;
  /** Certificates as Google publishes them: key id → PEM public key. */
  certs: Record<string, string>;
  verifier: TokenVerifier;
}

export function createIssuer(kid = 'test-key-1'): Issuer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certs = { [kid]: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  return { kid, privateKey, certs, verifier: certsTokenVerifier(certs) };
}

export interface TokenOverrides {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A Google-style ID token for `email`, valid for an hour unless overridden. */
export function idToken(issuer: Issuer, email: string, overrides: TokenOverrides = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: issuer.kid, ...overrides.header };
  const claims = {
    iss: 'https://accounts.google.com',
    aud: AUDIENCE,
    azp: '1234567890',
    sub: '1234567890',
    email,
    email_verified: true,
    iat: now,
    exp: now + 3600,
    ...overrides.claims,
  };
  const signingInput = `${b64url(header)}.${b64url(claims)}`;
  const signature = sign('RSA-SHA256', Buffer.from(signingInput), issuer.privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/** An unsigned token (`alg: none`, empty signature), as an attacker would forge it. */
export function unsignedToken(issuer: Issuer, email: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'none', typ: 'JWT', kid: issuer.kid };
  const claims = { iss: 'https://accounts.google.com', aud: AUDIENCE, sub: '1', email, email_verified: true, iat: now, exp: now + 3600 };
  return `${b64url(header)}.${b64url(claims)}.`;
}

/** Keeps the signature but swaps the payload for one naming another caller. */
export function tamperedToken(issuer: Issuer, signedFor: string, claimedEmail: string): string {
  const [header, , signature] = idToken(issuer, signedFor).split('.');
  const now = Math.floor(Date.now() / 1000);
  const forged = { iss: 'https://accounts.google.com', aud: AUDIENCE, sub: '1', email: claimedEmail, email_verified: true, iat: now, exp: now + 3600 };
  return `${header}.${b64url(forged)}.${signature}`;
}

/**
 * What Cloud Run hands the service after its own IAM check: the same token with its signature replaced by
 * SIGNATURE_REMOVED_BY_GOOGLE (https://cloud.google.com/run/docs/authenticating/service-to-service).
 */
export function cloudRunFront(token: string): string {
  const [header, payload] = token.split('.');
  return `${header}.${payload}.SIGNATURE_REMOVED_BY_GOOGLE`;
}
