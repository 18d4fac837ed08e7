/**
 * Seeded Gaussian noise that is the same for a seed on every machine: Philox4x32-10 (a
 * counter-based generator: value i depends only on (seed, i), so no state and no platform
 * differences) and the Box-Muller transform in float64, rounded once to float32.
 *
 * Integer math is exact in JavaScript; Math.log/cos/sin/sqrt come from V8's own fdlibm port, so
 * the TypeScript output is bit-identical across machines. test/unit/generate/fixtures/ has a
 * numpy twin of this file that the tests compare against.
 */

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW_32 = 4294967296;

/** Philox4x32-10 of counter (c0..c3) under key (k0, k1), into `out[0..3]` as uint32. */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi0 = mulhi(M0_HI, M0_LO, c0);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const hi1 = mulhi(M1_HI, M1_LO, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

const M0_HI = M0 >>> 16;
const M0_LO = M0 & 0xffff;
const M1_HI = M1 >>> 16;
const M1_LO = M1 & 0xffff;

/**
 * High 32 bits of m*c for the 32-bit constant m = mHi*2^16 + mLo: every partial product is
 * below 2^49, so float64 holds it exactly (the 64-bit product itself would not fit).
 */
function mulhi(mHi: number, mLo: number, c: number): number {
  return Math.floor((mHi * c + Math.floor((mLo * c) / 65536)) / 65536);
}

/**
 * `count` standard normal float32 values for `seed` (a whole number 0 ≤ seed < 2^53).
 * Counter i yields values 4i..4i+3: two Box-Muller pairs from its four uint32 words.
 */
export function gaussianNoise(seed: number, count: number, out = new Float32Array(count)): Float32Array {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be a whole number from 0 to 2^53-1, got ${seed}`);
  const k0 = (seed % TWO_POW_32) >>> 0;
  const k1 = Math.floor(seed / TWO_POW_32) >>> 0;
  const words = new Uint32Array(4);
  for (let i = 0, n = 0; n < count; i++) {
    philox4x32((i % TWO_POW_32) >>> 0, Math.floor(i / TWO_POW_32) >>> 0, 0, 0, k0, k1, words);
    for (let pair = 0; pair < 2 && n < count; pair++) {
      // (x + 0.5) / 2^32 is in (0, 1): never log(0).
      const u1 = (words[2 * pair] + 0.5) / TWO_POW_32;
      const u2 = (words[2 * pair + 1] + 0.5) / TWO_POW_32;
      const r = Math.sqrt(-2 * Math.log(u1));
      const theta = 2 * Math.PI * u2;
      out[n++] = r * Math.cos(theta);
      if (n < count) out[n++] = r * Math.sin(theta);
    }
  }
  return out;
}
