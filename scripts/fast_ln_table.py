#!/usr/bin/env python3
"""Prints the table of src/solver/fast_ln.rs (run: python3 scripts/fast_ln_table.py).

For j = 0..128 the centre c_j = 1 + j/128 of the reduction's interval and
  inv_hi = 1/c_j rounded to a multiple of 2^-8 (at most 9 significant bits,
               so that d * inv_hi is exact for the reduced |d| <= 2^-8),
  inv_lo = 1/c_j - inv_hi, rounded to the nearest double,
  lnc_hi = ln c_j rounded to a multiple of 2^-42 (so that k ln2_hi + lnc_hi
               is exact for |k| < 2^11),
  lnc_lo = ln c_j - lnc_hi, rounded to the nearest double;
and the two parts of ln 2 by the same rule. Every value is computed with
mpmath at 60 digits and rounded once; the printed decimals are Python's
shortest round-trip forms, which Rust parses to the same doubles.
"""
from fractions import Fraction

import mpmath

mpmath.mp.dps = 60


def as_fraction(x):
    """An mpmath number as an exact Fraction (its 60 digits)."""
    return Fraction(mpmath.nstr(x, 60, min_fixed=-100, max_fixed=100))


def to_multiple(x, e):
    """x rounded to the nearest multiple of 2^e (exact Fraction)."""
    return Fraction(round(as_fraction(x) / Fraction(2) ** e)) * Fraction(2) ** e


def rounded(fr):
    """A Fraction rounded to the nearest double."""
    return float(fr)  # Fraction -> float rounds correctly


def parts_of(x):
    hi = to_multiple(x, -42)
    lo = rounded(as_fraction(x) - hi)
    f = float(hi)
    assert Fraction(f) == hi
    return f, lo


ln2_hi, ln2_lo = parts_of(mpmath.log(2))
print(f"const LN2_HI: f64 = {ln2_hi!r};")
print(f"const LN2_LO: f64 = {ln2_lo!r};")
print("const TABLE: [[f64; 4]; 128] = [")
for j in range(128):
    c = Fraction(128 + j, 128)
    inv = 1 / c
    inv_hi = Fraction(round(inv * 256), 256)
    inv_lo = rounded(inv - inv_hi)
    lnc_hi, lnc_lo = parts_of(mpmath.log(mpmath.mpf(128 + j) / 128))
    assert Fraction(float(inv_hi)) == inv_hi
    print(f"    [{float(inv_hi)!r}, {inv_lo!r}, {lnc_hi!r}, {lnc_lo!r}],")
print("];")
