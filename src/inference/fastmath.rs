//! `exp` and `ln` written as straight-line arithmetic, so that loops over actions or
//! states compile to vector instructions (libm's versions are opaque calls, one value at
//! a time, and were a third of the soft backup's time).
//!
//! **exp(x) for x ≤ 0** (the only arguments a log-sum-exp shifted by its maximum needs):
//! x = k·ln 2 + r with k = round(x/ln 2) and |r| ≤ ln 2 / 2, where k·ln 2 is subtracted in
//! two parts (Cody and Waite 1980), each a fused multiply-add where the build targets FMA
//! (see [`mul_add`]), so r is exact to a few ulp; e^r is a polynomial of degree 11 fitted on that
//! interval (relative error below 10⁻¹⁷, evaluated by Estrin's scheme), and 2^k
//! is written directly into the exponent bits. Rounding to an integer uses the 1.5·2⁵²
//! trick: adding it leaves k in the low bits of the sum. Below x = −708 the result is 0
//! (e^−708 ≈ 3·10⁻³⁰⁸, under every term a shifted sum keeps).
//!
//! **ln(x) for normal x > 0**: x = m·2^e with m ∈ [√½, √2), and
//! ln m = 2 atanh(u) = 2(u + u³/3 + u⁵/5 + …) with u = (m − 1)/(m + 1), |u| ≤ 0.172,
//! summed to u²¹ (truncation below 10⁻¹⁷); ln x = e·ln 2 + ln m with ln 2 in two parts.
//!
//! Both agree with libm to a few ulp (the tests measure the worst case).
//!
//! **Fused or not.** With FMA, a·b + c is one instruction with one rounding; without it
//! (a build for generic x86-64, as a crate that depends on this one gets), `f64::mul_add`
//! is a call to libm's software `fma`, one value at a time, so the polynomials use a
//! multiplication and an addition instead. The two round differently, so exp and ln,
//! and through them the passes' results, differ in their last bits between the builds;
//! each stays within 2 ulp of libm. Fused, this repository's build (the host processor,
//! `.cargo/config.toml`) executes about 15 % fewer instructions in the backward pass
//! than it does with the unfused arithmetic (callgrind, 100 × 100 grid, 4 actions, T =
//! 50), which is why the arithmetic follows the build instead of always being unfused.

const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split so that k·LN2_HI is exact for |k| < 2¹¹ (fdlibm's split).
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
/// 1.5·2⁵²: x + ROUND rounds x to the nearest integer, held in the low mantissa bits.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// Below this, exp returns 0.
const EXP_FLOOR: f64 = -708.0;

/// c_0 … c_11 of e^r ≈ Σ c_n r^n on |r| ≤ ln 2 / 2: c_0 = 1 and c_1 … c_11 the
/// degree-10 Chebyshev fit of (e^r − 1)/r there (mpmath's `chebyfit` at 50 digits, then
/// rounded to f64). The relative error of the rounded polynomial is below 10⁻¹⁷ on the
/// interval, as small as the degree-13 Taylor polynomial's with two terms fewer.
const EXP_POLY: [f64; 12] = [
    1.0,
    1.0,
    0.500_000_000_000_000_6,
    0.166_666_666_666_666_7,
    0.041_666_666_666_573_14,
    0.008_333_333_333_326_141,
    0.001_388_888_893_248_859_9,
    0.000_198_412_698_748_004_93,
    2.480_150_434_699_768_6e-5,
    2.755_725_542_574_643_5e-6,
    2.762_635_724_144_722_3e-7,
    2.510_520_637_395_701e-8,
];

/// 1/(2j + 1) for j = 10, 9, …, 1 (Horner order in u²).
const ATANH_SERIES: [f64; 10] = [
    1.0 / 21.0,
    1.0 / 19.0,
    1.0 / 17.0,
    1.0 / 15.0,
    1.0 / 13.0,
    1.0 / 11.0,
    1.0 / 9.0,
    1.0 / 7.0,
    1.0 / 5.0,
    1.0 / 3.0,
];

/// a·b + c: fused into one rounding when the build targets FMA (one instruction, the
/// exact product), two roundings otherwise (see the module doc).
#[inline(always)]
fn mul_add(a: f64, b: f64, c: f64) -> f64 {
    #[cfg(target_feature = "fma")]
    {
        a.mul_add(b, c)
    }
    #[cfg(not(target_feature = "fma"))]
    {
        a * b + c
    }
}

/// e^x for x ≤ 0 (−∞ gives 0).
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    let t = mul_add(x, LOG2_E, ROUND);
    let k = t - ROUND;
    let r = mul_add(-k, LN2_LO, mul_add(-k, LN2_HI, x));
    // Estrin's scheme: pairs, then pairs of pairs, so the dependency chain is four
    // multiply-adds deep instead of Horner's eleven.
    let c = &EXP_POLY;
    let (r2, r4) = (r * r, r * r * (r * r));
    let r8 = r4 * r4;
    let pair = |i: usize| mul_add(c[i + 1], r, c[i]);
    let quad = |i: usize| mul_add(pair(i + 2), r2, pair(i));
    let low = mul_add(quad(4), r4, quad(0));
    let p = mul_add(quad(8), r8, low);
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    if x < EXP_FLOOR {
        0.0
    } else {
        p * scale
    }
}

/// ln x for a normal, finite x > 0.
#[inline(always)]
pub fn ln_positive(x: f64) -> f64 {
    const MANTISSA: u64 = (1 << 52) - 1;
    let bits = x.to_bits();
    let mut m = f64::from_bits((bits & MANTISSA) | 1.0f64.to_bits());
    // The biased exponent as a float: 2^52 + e_biased, read back through the bits.
    let mut e = f64::from_bits((1075u64 << 52) | (bits >> 52)) - (4_503_599_627_370_496.0 + 1023.0);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1.0;
    }
    let u = (m - 1.0) / (m + 1.0);
    let u2 = u * u;
    let mut p = ATANH_SERIES[0];
    for &c in &ATANH_SERIES[1..] {
        p = mul_add(p, u2, c);
    }
    let ln_m = 2.0 * u + 2.0 * u * (u2 * p);
    e * LN2_HI + (ln_m + e * LN2_LO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Distance in units in the last place.
    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn multiply_adds_are_fused_exactly_when_the_build_targets_fma() {
        // (1 + 2⁻³⁰)(1 − 2⁻³⁰) = 1 − 2⁻⁶⁰ exactly, which rounds to 1: minus 1 that is
        // −2⁻⁶⁰ with one rounding and 0 with two.
        let (a, b) = (1.0 + 2f64.powi(-30), 1.0 - 2f64.powi(-30));
        let fused = cfg!(target_feature = "fma");
        let want = if fused { -(2f64.powi(-60)) } else { 0.0 };
        assert_eq!(mul_add(a, b, -1.0), want);
    }

    #[test]
    fn exp_is_within_two_ulp_of_libm_on_its_whole_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut worst = 0;
        for i in 0..400_000 {
            let x = match i % 4 {
                0 => -rng.random::<f64>() * 708.0,
                1 => -rng.random::<f64>() * 2.0,
                2 => -rng.random::<f64>() * 1e-6,
                _ => -(i as f64) * 0.5 * std::f64::consts::LN_2,
            };
            if x < EXP_FLOOR {
                continue;
            }
            worst = worst.max(ulps(exp_nonpositive(x), x.exp()));
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert_eq!(exp_nonpositive(-0.0), 1.0);
        assert_eq!(exp_nonpositive(-709.0), 0.0);
        assert_eq!(exp_nonpositive(f64::NEG_INFINITY), 0.0);
    }

    #[test]
    fn ln_is_within_two_ulp_of_libm_from_tiny_to_huge() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut worst = 0;
        for i in 0..400_000 {
            let x = match i % 4 {
                0 => 1.0 + rng.random::<f64>() * 63.0,
                1 => 1.0 + rng.random::<f64>() * 1e-6,
                2 => (rng.random::<f64>() * 1400.0 - 700.0).exp(),
                _ => 1.0 - rng.random::<f64>() * 0.5,
            };
            worst = worst.max(ulps(ln_positive(x), x.ln()));
        }
        assert!(worst <= 2, "worst error {worst} ulp");
        assert_eq!(ln_positive(1.0), 0.0);
        assert_eq!(ln_positive(2.0), std::f64::consts::LN_2);
        assert_eq!(ln_positive(f64::MIN_POSITIVE), f64::MIN_POSITIVE.ln());
    }
}
