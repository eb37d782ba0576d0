import { InvalidReliabilityScale, reliabilityScale } from './support';

describe('RELIABILITY_SCALE', () => {
  it('defaults to 1 when unset or blank, and takes positive numbers', () => {
    expect(reliabilityScale(undefined)).toBe(1);
    expect(reliabilityScale(' ')).toBe(1);
    expect(reliabilityScale('0.5')).toBe(0.5);
    expect(reliabilityScale('20')).toBe(20);
  });

  it.each(['0', '-1', 'big', 'NaN', 'Infinity', '1001'])(
    'rejects %p with a named error',
    (value) => {
      expect(() => reliabilityScale(value)).toThrow(InvalidReliabilityScale);
      expect(() => reliabilityScale(value)).toThrow(
        /RELIABILITY_SCALE must be a number in \(0, 1000\]/,
      );
    },
  );
});
