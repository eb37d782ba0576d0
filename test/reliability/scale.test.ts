import { InvalidReliabilityScale, parseReliabilityScale } from './support';

describe('RELIABILITY_SCALE', () => {
  it('defaults to 1 when unset or blank, and takes positive numbers', () => {
    expect(parseReliabilityScale(undefined)).toBe(1);
    expect(parseReliabilityScale(' ')).toBe(1);
    expect(parseReliabilityScale('0.5')).toBe(0.5);
    expect(parseReliabilityScale('20')).toBe(20);
  });

  it.each(['0', '-1', 'big', 'NaN', 'Infinity', '1001'])(
    'rejects %p with a named error',
    (value) => {
      expect(() => parseReliabilityScale(value)).toThrow(InvalidReliabilityScale);
      expect(() => parseReliabilityScale(value)).toThrow(
        /RELIABILITY_SCALE must be a number in \(0, 1000\]/,
      );
    },
  );
});
