import { randomBytes } from 'node:crypto';

// RFC 9562 §6.2, method 2 ("monotonic random"): ids minted by this process within the same millisecond
// increase. The 74 bits after the timestamp (rand_a and rand_b, around the version and variant bits) are a
// counter seeded at random each millisecond (top bit clear, so it has room to grow) and incremented by a
// random step after that. So rows inserted in one statement sort by id in the order they were made — voucher
// codes are handed out in the order they were imported, and primary-key indexes stay append-mostly.
const COUNTER_BITS = 74n;
const COUNTER_MAX = (1n << COUNTER_BITS) - 1n;
let lastMs = -1;
let counter = 0n;

function randomBig(bytes: number): bigint {
  return BigInt(`0x${randomBytes(bytes).toString('hex')}`);
}

/** A UUIDv7 (RFC 9562): time-ordered, and increasing within this process even inside one millisecond. */
export function uuidv7(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = randomBig(10) & (COUNTER_MAX >> 1n);
  } else {
    // Same millisecond (or the clock went back): keep the last timestamp and step the counter.
    counter += 1n + (randomBig(4) & 0xffffffn);
    if (counter > COUNTER_MAX) {
      lastMs += 1;
      counter = randomBig(10) & (COUNTER_MAX >> 1n);
    }
  }
  const randA = counter >> 62n; // 12 bits
  const randB = counter & ((1n << 62n) - 1n); // 62 bits
  const ms = lastMs.toString(16).padStart(12, '0');
  const a = (0x7000n | randA).toString(16).padStart(4, '0');
  const b = ((0b10n << 62n) | randB).toString(16).padStart(16, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-${a}-${b.slice(0, 4)}-${b.slice(4)}`;
}
