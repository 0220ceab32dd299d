import { authenticate, type AuthPolicy } from '../../src/serve/oidc';
import { AUDIENCE, cloudRunFront, createIssuer, idToken, PUSH_SA, SCHEDULER_SA, tamperedToken, unsignedToken } from './id-tokens';

const issuer = createIssuer();
const policy: AuthPolicy = { audience: AUDIENCE, allowedServiceAccounts: [SCHEDULER_SA, PUSH_SA] };
const check = (header: string | undefined) => authenticate(header, policy, issuer.verifier);
const bearer = (token: string) => `Bearer ${token}`;
const now = () => Math.floor(Date.now() / 1000);

describe('authenticate (Google-signed OIDC ID tokens, verified by google-auth-library)', () => {
  it('accepts a valid token from each configured service account', async () => {
    await expect(check(bearer(idToken(issuer, SCHEDULER_SA)))).resolves.toEqual({ ok: true, email: SCHEDULER_SA });
    await expect(check(bearer(idToken(issuer, PUSH_SA)))).resolves.toEqual({ ok: true, email: PUSH_SA });
  });

  it('accepts the issuer without scheme too, and compares emails case-insensitively', async () => {
    const token = idToken(issuer, SCHEDULER_SA.toUpperCase(), { claims: { iss: 'accounts.google.com' } });
    await expect(check(bearer(token))).resolves.toEqual({ ok: true, email: SCHEDULER_SA });
  });

  it.each([
    ['missing header', undefined, 401, 'missing_token'],
    ['not a bearer token', 'Basic dXNlcjpwYXNz', 401, 'malformed_header'],
    ['bearer without a JWT', 'Bearer not-a-jwt', 401, 'malformed_header'],
  ])('refuses a %s', async (_name, header, status, reason) => {
    await expect(check(header)).resolves.toEqual({ ok: false, status, reason });
  });

  it.each([
    ['wrong audience', () => idToken(issuer, SCHEDULER_SA, { claims: { aud: 'https://other-service.a.run.app' } }), 401, 'wrong_audience'],
    ['wrong issuer', () => idToken(issuer, SCHEDULER_SA, { claims: { iss: 'https://evil.example.com' } }), 401, 'wrong_issuer'],
    ['expired token', () => idToken(issuer, SCHEDULER_SA, { claims: { iat: now() - 7200, exp: now() - 3600 } }), 401, 'expired'],
    ['token not yet valid', () => idToken(issuer, SCHEDULER_SA, { claims: { iat: now() + 3600, exp: now() + 7200 } }), 401, 'not_yet_valid'],
    ['unsigned token (alg none)', () => unsignedToken(issuer, SCHEDULER_SA), 401, 'unsupported_algorithm'],
    ['HS256 token', () => idToken(issuer, SCHEDULER_SA, { header: { alg: 'HS256' } }), 401, 'unsupported_algorithm'],
    ['tampered payload', () => tamperedToken(issuer, 'someone@demo-project.iam.gserviceaccount.com', SCHEDULER_SA), 401, 'bad_signature'],
    ['token signed by another key with the same key id', () => idToken(createIssuer(issuer.kid), SCHEDULER_SA), 401, 'bad_signature'],
    ['token signed by an unknown key', () => idToken(createIssuer('other-key'), SCHEDULER_SA), 401, 'unknown_signing_key'],
    ['service account not in the list', () => idToken(issuer, 'intruder@demo-project.iam.gserviceaccount.com'), 403, 'caller_not_allowed'],
    ['unverified email', () => idToken(issuer, SCHEDULER_SA, { claims: { email_verified: false } }), 403, 'email_not_verified'],
    ['token without email', () => idToken(issuer, SCHEDULER_SA, { claims: { email: undefined } }), 403, 'email_not_verified'],
  ])('refuses a %s', async (_name, makeToken, status, reason) => {
    await expect(check(bearer(makeToken()))).resolves.toEqual({ ok: false, status, reason });
  });

  it('the library verification itself refuses unsigned and tampered tokens (not only the algorithm pre-check)', async () => {
    await expect(issuer.verifier.verify(unsignedToken(issuer, SCHEDULER_SA), AUDIENCE)).rejects.toThrow(/signature/i);
    const tampered = tamperedToken(issuer, 'someone@demo-project.iam.gserviceaccount.com', SCHEDULER_SA);
    await expect(issuer.verifier.verify(tampered, AUDIENCE)).rejects.toThrow(/signature/i);
    await expect(issuer.verifier.verify(idToken(issuer, SCHEDULER_SA), AUDIENCE)).resolves.toMatchObject({ email: SCHEDULER_SA, email_verified: true });
  });

  it('re-checks the claims itself, so a verifier that skips checks cannot widen access', async () => {
    const lax = { verify: async () => ({ iss: 'https://evil.example.com', aud: AUDIENCE, sub: '1', iat: now(), exp: now() + 60, email: SCHEDULER_SA, email_verified: true }) };
    const result = await authenticate(bearer(idToken(issuer, SCHEDULER_SA)), policy, lax);
    expect(result).toEqual({ ok: false, status: 401, reason: 'wrong_issuer' });
    const expired = { verify: async () => ({ iss: 'accounts.google.com', aud: AUDIENCE, sub: '1', iat: now() - 9000, exp: now() - 3600, email: SCHEDULER_SA, email_verified: true }) };
    await expect(authenticate(bearer(idToken(issuer, SCHEDULER_SA)), policy, expired)).resolves.toMatchObject({ ok: false, reason: 'expired' });
  });
});

describe('tokens Cloud Run passes on with the signature removed (SIGNATURE_REMOVED_BY_GOOGLE)', () => {
  const behindIam: AuthPolicy = { ...policy, iamChecked: true };
  const checkBehindIam = (token: string) => authenticate(bearer(token), behindIam, issuer.verifier);

  it('are accepted behind Cloud Run IAM (CLEANROOM_IAM_CHECKED=true), and signed tokens still are', async () => {
    await expect(checkBehindIam(cloudRunFront(idToken(issuer, SCHEDULER_SA)))).resolves.toEqual({ ok: true, email: SCHEDULER_SA });
    await expect(checkBehindIam(cloudRunFront(idToken(createIssuer('any-key'), PUSH_SA)))).resolves.toEqual({ ok: true, email: PUSH_SA });
    await expect(checkBehindIam(idToken(issuer, PUSH_SA))).resolves.toEqual({ ok: true, email: PUSH_SA });
  });

  it('are refused without that setting', async () => {
    await expect(check(bearer(cloudRunFront(idToken(issuer, SCHEDULER_SA))))).resolves.toEqual({ ok: false, status: 401, reason: 'signature_removed' });
  });

  it.each([
    ['wrong audience', { aud: 'https://other-service.a.run.app' }, 401, 'wrong_audience'],
    ['wrong issuer', { iss: 'https://evil.example.com' }, 401, 'wrong_issuer'],
    ['expired', { iat: now() - 7200, exp: now() - 3600 }, 401, 'expired'],
    ['issued in the future', { iat: now() + 3600, exp: now() + 7200 }, 401, 'not_yet_valid'],
    ['unverified email', { email_verified: false }, 403, 'email_not_verified'],
    ['no email', { email: undefined }, 403, 'email_not_verified'],
    ['caller not in the list', { email: 'intruder@demo-project.iam.gserviceaccount.com' }, 403, 'caller_not_allowed'],
    ['no exp', { exp: undefined }, 401, 'invalid_token'],
  ])('still have their claims checked: %s', async (_name, claims, status, reason) => {
    await expect(checkBehindIam(cloudRunFront(idToken(issuer, SCHEDULER_SA, { claims })))).resolves.toEqual({ ok: false, status, reason });
  });

  it('other unsigned or malformed forms stay refused', async () => {
    const [header, payload] = idToken(issuer, SCHEDULER_SA).split('.');
    await expect(checkBehindIam(`${header}.${payload}.`)).resolves.toMatchObject({ ok: false, reason: 'bad_signature' });
    await expect(checkBehindIam(`${header}.${payload}.SIGNATURE_REMOVED`)).resolves.toMatchObject({ ok: false });
    await expect(checkBehindIam(cloudRunFront(unsignedToken(issuer, SCHEDULER_SA)))).resolves.toEqual({ ok: false, status: 401, reason: 'unsupported_algorithm' });
    await expect(checkBehindIam(`${header}.${Buffer.from('[1]').toString('base64url')}.SIGNATURE_REMOVED_BY_GOOGLE`)).resolves.toEqual({ ok: false, status: 401, reason: 'invalid_token' });
  });
});
