/**
 * Small, realistic sample datasets for the demo, generated deterministically (same seed → same rows, so a second
 * run and the tests see exactly the data of the first): the publisher's users (hashed emails, audience segments),
 * the advertiser's conversions (partly the same people) and the measurement partner's panel. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { struct, type DeltaRow, type StructType } from '../delta/schema-types';

export const USERS_SCHEMA: StructType = struct([
  ['email_sha256', 'string', false],
  ['segment', 'string'],
  ['country', 'string'],
  ['age_band', 'string'],
]);

export const CONVERSIONS_SCHEMA: StructType = struct([
  ['conversion_id', 'string', false],
  ['email_sha256', 'string', false],
  ['conversion_date', 'date'],
  ['product_category', 'string'],
  ['order_value', 'double'],
]);

export const PANEL_SCHEMA: StructType = struct([
  ['panelist_id', 'string', false],
  ['email_sha256', 'string', false],
  ['household_size', 'integer'],
  ['weight', 'double'],
]);

export interface SampleData {
  users: DeltaRow[];
  conversions: DeltaRow[];
  panel: DeltaRow[];
}

/** Segment → share of the publisher's users; "luxury" is small on purpose, so the threshold hides it. */
const SEGMENTS: ReadonlyArray<[string, number]> = [
  ['sports', 0.3],
  ['travel', 0.25],
  ['home_garden', 0.2],
  ['automotive', 0.15],
  ['finance', 0.08],
  ['luxury', 0.02],
];
const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'NL'];
const AGE_BANDS = ['18-24', '25-34', '35-44', '45-54', '55+'];
const CATEGORIES = ['shoes', 'apparel', 'electronics', 'outdoor', 'beauty'];

export const USER_COUNT = 600;
export const CUSTOMER_COUNT = 260;
export const PANEL_COUNT = 240;
const SEED = 20240603;

/** How the advertiser and the measurement partner hash emails too: sha256 of the trimmed, lower-cased address. */
export function hashEmail(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

/** mulberry32: a tiny seeded PRNG, good enough for sample data and identical on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateSampleData(): SampleData {
  const rnd = random(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)];
  const weighted = (): string => {
    let r = rnd();
    for (const [name, share] of SEGMENTS) {
      if (r < share) return name;
      r -= share;
    }
    return SEGMENTS[0][0];
  };

  const userEmails = Array.from({ length: USER_COUNT }, (_, i) => `reader${i + 1}@example.com`);
  const users: DeltaRow[] = userEmails.map((email) => ({
    email_sha256: hashEmail(email),
    segment: weighted(),
    country: pick(COUNTRIES),
    age_band: pick(AGE_BANDS),
  }));

  // About 60% of the advertiser's customers also read the publisher's sites.
  const conversions: DeltaRow[] = [];
  for (let c = 0; c < CUSTOMER_COUNT; c++) {
    const email = rnd() < 0.6 ? pick(userEmails) : `shopper${c + 1}@mail.example`;
    const orders = 1 + Math.floor(rnd() * 3);
    for (let o = 0; o < orders; o++) {
      conversions.push({
        conversion_id: `cv-${String(conversions.length + 1).padStart(5, '0')}`,
        email_sha256: hashEmail(email),
        conversion_date: `2024-05-${String(1 + Math.floor(rnd() * 31)).padStart(2, '0')}`,
        product_category: pick(CATEGORIES),
        // Whole cents, so sums are exact enough to compare with the SQL result.
        order_value: (1500 + Math.floor(rnd() * 18_000)) / 100,
      });
    }
  }

  const panel: DeltaRow[] = Array.from({ length: PANEL_COUNT }, (_, p) => ({
    panelist_id: `pn-${String(p + 1).padStart(4, '0')}`,
    email_sha256: hashEmail(rnd() < 0.5 ? pick(userEmails) : `panelist${p + 1}@panel.example`),
    household_size: 1 + Math.floor(rnd() * 5),
    weight: Math.round((0.5 + rnd() * 1.5) * 1000) / 1000,
  }));

  return { users, conversions, panel };
}
