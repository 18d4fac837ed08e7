import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gaussianNoise, philox4x32 } from '../../../activities/generate/noise';

const fixtures = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'noise.json'), 'utf8')) as {
  gaussian: Record<string, number[]>;
  philox: { key: [number, number]; counters: number[][]; words: number[][] };
};

describe('seeded noise', () => {
  it('Philox4x32-10 matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect([...out]).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect([...out]).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect([...out]).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });

  it('Philox words match the numpy implementation', () => {
    const out = new Uint32Array(4);
    fixtures.philox.counters.forEach((c, i) => {
      philox4x32(c[0], c[1], c[2], c[3], fixtures.philox.key[0], fixtures.philox.key[1], out);
      expect([...out]).toEqual(fixtures.philox.words[i]);
    });
  });

  it.each(Object.keys(fixtures.gaussian))('Gaussian values for seed %s match numpy to 1e-6', (seed) => {
    const expected = fixtures.gaussian[seed];
    const got = gaussianNoise(Number(seed), expected.length);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  it('is a standard normal: mean ~0, variance ~1', () => {
    const x = gaussianNoise(123, 200_000);
    let mean = 0;
    for (const v of x) mean += v;
    mean /= x.length;
    let variance = 0;
    for (const v of x) variance += (v - mean) ** 2;
    variance /= x.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
  });

  it('same seed gives the same values, another seed different ones; a prefix is stable', () => {
    expect(gaussianNoise(42, 64)).toEqual(gaussianNoise(42, 64));
    expect(gaussianNoise(42, 64)).not.toEqual(gaussianNoise(43, 64));
    expect(gaussianNoise(42, 10)).toEqual(gaussianNoise(42, 64).subarray(0, 10));
  });

  it('rejects seeds that are not safe whole numbers', () => {
    expect(() => gaussianNoise(-1, 4)).toThrow(RangeError);
    expect(() => gaussianNoise(1.5, 4)).toThrow(RangeError);
  });
});
