/**
 * Authentication of Cloud Scheduler and Pub/Sub push calls: Google-signed OIDC ID tokens
 * (`Authorization: Bearer <jwt>`) whose `email` is one of the configured invoker service accounts.
 *
 * Signature, expiry, issuer and audience are verified by google-auth-library; the source of the signing
 * certificates is the only thing a TokenVerifier changes (Google's published certs in production, a fixed
 * set in tests). The claims are then checked again here, so a lax verifier cannot widen access.
 */
import { OAuth2Client } from 'google-auth-library';

export const GOOGLE_ISSUERS: readonly string[] = ['accounts.google.com', 'https://accounts.google.com'];

/** The claims of a verified Google ID token that authorization looks at. */
export interface IdTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  exp: number;
  iat: number;
  email?: string;
  email_verified?: boolean;
}

/** Verifies a token's signature, expiry, issuer and audience; throws if any is wrong. */
export interface TokenVerifier {
  verify(idToken: string, audience: string): Promise<IdTokenClaims>;
}

/** Production: Google's published signing certificates, fetched and cached by google-auth-library. */
export function googleTokenVerifier(client: OAuth2Client = new OAuth2Client()): TokenVerifier {
  return {
    async verify(idToken, audience) {
      const ticket = await client.verifyIdToken({ idToken, audience });
      return claimsOf(ticket.getPayload());
    },
  };
}

/**
 * A fixed set of signing certificates (key id → PEM public key), verified by the same library routine that
 * verifyIdToken uses. For tests and for deployments that pin certificates.
 */
export function certsTokenVerifier(certs: Record<string, string>, client: OAuth2Client = new OAuth2Client()): TokenVerifier {
  return {
    async verify(idToken, audience) {
      const ticket = await client.verifySignedJwtWithCertsAsync(idToken, certs, audience, [...GOOGLE_ISSUERS]);
      return claimsOf(ticket.getPayload());
    },
  };
}

function claimsOf(payload: object | undefined): IdTokenClaims {
  if (!payload) throw new Error('ID token has no payload');
  const p = payload as Record<string, unknown>;
  if (typeof p.iss !== 'string' || typeof p.aud !== 'string' || typeof p.sub !== 'string') {
    throw new Error('ID token lacks iss, aud or sub');
  }
  if (typeof p.exp !== 'number' || typeof p.iat !== 'number') throw new Error('ID token lacks exp or iat');
  return {
    iss: p.iss,
    aud: p.aud,
    sub: p.sub,
    exp: p.exp,
    iat: p.iat,
    email: typeof p.email === 'string' ? p.email : undefined,
    email_verified: p.email_verified === true || p.email_verified === 'true',
  };
}

export interface AuthPolicy {
  /** The `aud` the tokens must carry: the service URL (or the audience set on the Scheduler job / push subscription). */
  audience: string;
  /** Service account emails allowed to trigger passes (the Scheduler and Pub/Sub push identities). */
  allowedServiceAccounts: readonly string[];
  verifier?: TokenVerifier;
  /** Cloud Run checked the caller's IAM before the request arrived: signature-removed tokens are accepted. */
  iamChecked?: boolean;
}

/** What Cloud Run puts in place of the signature of a token it has verified. */
export const SIGNATURE_REMOVED = 'SIGNATURE_REMOVED_BY_GOOGLE';

/** Why a call was refused; logged, never sent to the caller. */
export type AuthFailureReason =
  | 'missing_token'
  | 'malformed_header'
  | 'unsupported_algorithm'
  | 'unknown_signing_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'invalid_token'
  | 'email_not_verified'
  | 'caller_not_allowed'
  | 'signature_removed';

export type AuthResult =
  | { ok: true; email: string }
  | { ok: false; status: 401 | 403; reason: AuthFailureReason };

/** Seconds of clock skew tolerated on `exp`, as google-auth-library does. */
const CLOCK_SKEW_SECS = 300;

export async function authenticate(
  authorizationHeader: string | undefined,
  policy: AuthPolicy,
  verifier: TokenVerifier,
  nowSecs: number = Date.now() / 1000,
): Promise<AuthResult> {
  if (!authorizationHeader) return { ok: false, status: 401, reason: 'missing_token' };
  const match = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/.exec(authorizationHeader);
  if (!match) return { ok: false, status: 401, reason: 'malformed_header' };
  const token = match[1];
  // Google signs ID tokens with RS256; anything else (notably `none`) is refused before any verification.
  if (headerAlgorithm(token) !== 'RS256') return { ok: false, status: 401, reason: 'unsupported_algorithm' };

  let claims: IdTokenClaims;
  if (token.split('.')[2] === SIGNATURE_REMOVED) {
    if (policy.iamChecked !== true) return { ok: false, status: 401, reason: 'signature_removed' };
    const unsigned = unverifiedClaims(token);
    if (!unsigned) return { ok: false, status: 401, reason: 'invalid_token' };
    claims = unsigned;
  } else {
    try {
      claims = await verifier.verify(token, policy.audience);
    } catch (err) {
      return { ok: false, status: 401, reason: classifyVerificationError(err) };
    }
  }
  // Belt and braces: the verifier checked these, a custom verifier might not have.
  if (!GOOGLE_ISSUERS.includes(claims.iss)) return { ok: false, status: 401, reason: 'wrong_issuer' };
  if (claims.aud !== policy.audience) return { ok: false, status: 401, reason: 'wrong_audience' };
  if (claims.exp + CLOCK_SKEW_SECS < nowSecs) return { ok: false, status: 401, reason: 'expired' };
  if (claims.iat - CLOCK_SKEW_SECS > nowSecs) return { ok: false, status: 401, reason: 'not_yet_valid' };
  if (!claims.email || claims.email_verified !== true) return { ok: false, status: 403, reason: 'email_not_verified' };
  const email = claims.email.toLowerCase();
  if (!policy.allowedServiceAccounts.some((allowed) => allowed.toLowerCase() === email)) {
    return { ok: false, status: 403, reason: 'caller_not_allowed' };
  }
  return { ok: true, email };
}

/** The payload of a token Cloud Run already verified (its signature removed); undefined when it is not a claims object. */
function unverifiedClaims(token: string): IdTokenClaims | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as unknown;
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? claimsOf(payload) : undefined;
  } catch {
    return undefined;
  }
}

function headerAlgorithm(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as unknown;
    return header && typeof header === 'object' && 'alg' in header && typeof header.alg === 'string' ? header.alg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps google-auth-library's error messages to a reason code. The messages themselves embed the whole token,
 * so they are never logged or returned.
 */
function classifyVerificationError(err: unknown): AuthFailureReason {
  const message = err instanceof Error ? err.message : '';
  if (message.startsWith('No pem found')) return 'unknown_signing_key';
  if (message.startsWith('Invalid token signature')) return 'bad_signature';
  if (message.startsWith('Token used too late')) return 'expired';
  if (message.startsWith('Token used too early')) return 'not_yet_valid';
  if (message.startsWith('Invalid issuer')) return 'wrong_issuer';
  if (message.startsWith('Wrong recipient')) return 'wrong_audience';
  return 'invalid_token';
}
