/**
 * Exact rational numbers over BigInt: the number type of the safe arithmetic
 * evaluator and the linear solver. Always normalised (denominator > 0, gcd 1),
 * so equality is structural and `toString()` is canonical.
 */
import { LabError } from '@lab/core';

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

function bitLength(n: bigint): number {
  return (n < 0n ? -n : n).toString(2).length;
}

/** Grammar of a plain number literal: `12`, `3.75`, `.5`, `1e-3`, `1,250`, `1,250.5`. */
const NUMBER_RE = /^(?:(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

/**
 * An exact rational `num / den`.
 *
 * @example
 * const third = Rational.of(1n, 3n);
 * third.add(Rational.of(2n, 3n)).toString(); // '1'
 * Rational.parse('1,250.5')?.toString(); // '1250.5'
 */
export class Rational {
  /** Numerator (sign lives here). */
  readonly num: bigint;
  /** Denominator, always > 0. */
  readonly den: bigint;

  private constructor(num: bigint, den: bigint) {
    this.num = num;
    this.den = den;
  }

  static readonly ZERO: Rational = new Rational(0n, 1n);
  static readonly ONE: Rational = new Rational(1n, 1n);

  /** Builds `num / den`; throws `DIVISION_BY_ZERO` on a zero denominator. */
  static of(num: bigint | number, den: bigint | number = 1n): Rational {
    let n = typeof num === 'number' ? Rational.fromNumberInt(num) : num;
    let d = typeof den === 'number' ? Rational.fromNumberInt(den) : den;
    if (d === 0n) throw new LabError('DIVISION_BY_ZERO', 'Rational: denominator is zero', { num: String(n) });
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    const g = gcd(n, d);
    return g === 1n ? new Rational(n, d) : new Rational(n / g, d / g);
  }

  private static fromNumberInt(x: number): bigint {
    if (!Number.isInteger(x)) {
      throw new LabError('BAD_NUMBER', `Rational.of: ${x} is not an integer (use Rational.fromNumber)`, {
        value: x,
      });
    }
    return BigInt(x);
  }

  /**
   * Converts a finite JavaScript number through its shortest decimal form, so
   * `0.1` becomes exactly 1/10 (not the binary double). Throws `BAD_NUMBER` on NaN/Infinity.
   */
  static fromNumber(x: number): Rational {
    if (!Number.isFinite(x))
      throw new LabError('BAD_NUMBER', `Rational.fromNumber: ${x} is not finite`, { value: x });
    const r = Rational.parse(String(x).replace(/^-/, ''), { maxExponent: 400 });
    if (!r) throw new LabError('BAD_NUMBER', `Rational.fromNumber: cannot read ${x}`, { value: x });
    return x < 0 ? r.neg() : r;
  }

  /**
   * Parses an unsigned decimal literal (`12`, `3.75`, `.5`, `1e-3`, `1,250`).
   * Returns null when the text is not such a literal or its exponent exceeds
   * `maxExponent` (default 100), which keeps `1e999999999` from allocating.
   */
  static parse(text: string, opts: { maxExponent?: number } = {}): Rational | null {
    const m = NUMBER_RE.exec(text);
    if (!m) return null;
    const intPart = (m[1] ?? '').replaceAll(',', '');
    const frac = m[2] ?? m[3] ?? '';
    const exp = m[4] === undefined ? 0 : Number(m[4]);
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > (opts.maxExponent ?? 100)) return null;
    const digits = BigInt((intPart || '0') + frac);
    const scale = exp - frac.length;
    return scale >= 0
      ? Rational.of(digits * 10n ** BigInt(scale))
      : Rational.of(digits, 10n ** BigInt(-scale));
  }

  add(o: Rational): Rational {
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Rational): Rational {
    return Rational.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Rational): Rational {
    return Rational.of(this.num * o.num, this.den * o.den);
  }
  /** Throws `DIVISION_BY_ZERO` when `o` is zero. */
  div(o: Rational): Rational {
    if (o.num === 0n) throw new LabError('DIVISION_BY_ZERO', 'division by zero', {});
    return Rational.of(this.num * o.den, this.den * o.num);
  }
  neg(): Rational {
    return new Rational(-this.num, this.den);
  }
  /** Integer power; negative exponents invert (zero base then throws `DIVISION_BY_ZERO`). */
  pow(e: number): Rational {
    if (!Number.isSafeInteger(e))
      throw new LabError('BAD_EXPONENT', `pow: exponent ${e} is not an integer`, {});
    if (e < 0) return Rational.ONE.div(this.pow(-e));
    return new Rational(this.num ** BigInt(e), this.den ** BigInt(e));
  }
  isZero(): boolean {
    return this.num === 0n;
  }
  isInteger(): boolean {
    return this.den === 1n;
  }
  equals(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }
  /** -1, 0 or 1. */
  compare(o: Rational): number {
    const d = this.num * o.den - o.num * this.den;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  /** Bits of the larger of numerator and denominator: the size the evaluator limits. */
  bits(): number {
    return Math.max(bitLength(this.num), bitLength(this.den));
  }

  /** Nearest double (exact for safe integers; 17 significant digits otherwise). */
  toNumber(): number {
    if (this.den === 1n) return Number(this.num);
    return Number(this.toDecimal(20));
  }

  /** True when the decimal expansion terminates (denominator has only 2s and 5s). */
  isTerminating(): boolean {
    let d = this.den;
    while (d % 2n === 0n) d /= 2n;
    while (d % 5n === 0n) d /= 5n;
    return d === 1n;
  }

  /**
   * Decimal string rounded half away from zero to at most `places` digits,
   * trailing zeros removed: `Rational.of(1n, 3n).toDecimal(4)` is `'0.3333'`.
   */
  toDecimal(places = 12): string {
    const neg = this.num < 0n;
    const a = neg ? -this.num : this.num;
    const scale = 10n ** BigInt(places);
    let scaled = (a * scale) / this.den;
    const rem = (a * scale) % this.den;
    if (rem * 2n >= this.den) scaled += 1n;
    let s = scaled.toString().padStart(places + 1, '0');
    let out = places > 0 ? `${s.slice(0, s.length - places)}.${s.slice(s.length - places)}` : s;
    if (places > 0) out = out.replace(/0+$/, '').replace(/\.$/, '');
    s = out;
    return neg && s !== '0' ? `-${s}` : s;
  }

  /** Exact decimal when it terminates within 30 places, else `num/den`. */
  toString(): string {
    if (this.den === 1n) return this.num.toString();
    if (this.isTerminating()) {
      const s = this.toDecimal(40);
      if (
        Rational.parse(s.replace(/^-/, ''), { maxExponent: 400 })?.equals(this.num < 0n ? this.neg() : this)
      ) {
        return s;
      }
    }
    return `${this.num}/${this.den}`;
  }
}
