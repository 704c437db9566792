//! Deterministic mutation of seed files: input `i` of a run depends only on the run's
//! seed, `i` and the corpus, so any input can be made again from those three alone.
//!
//! An input is a seed, or a seed after one to six stacked mutations: a bit flip, a byte
//! set to a character that matters to the formats (quotes, brackets, separators, digits,
//! line ends, NUL, 0xFF), an inserted token, a deleted, duplicated or repeated range, a
//! duplicated, deleted or swapped line, a truncation, a splice with another seed of the
//! same loader, a number replaced by an extreme (1e308, -0, NaN, 2^32, 10^9, …), and an
//! aligned 4- or 8-byte word overwritten with an extreme integer or float pattern (for
//! the binary `.npy` members). Inputs are cut to [`MAX_LEN`] bytes.

/// The largest input made, in bytes: room for a line repeated hundreds of times, small
/// enough that an input is parsed in microseconds.
pub const MAX_LEN: usize = 1 << 14;

/// SplitMix64: a small, fast generator whose whole state is one word.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator of input `index` of a run seeded with `seed`.
    pub fn for_input(seed: u64, index: u64) -> Self {
        let mut rng = Rng(seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
        rng.next();
        rng
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` ≥ 1).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

/// Numbers that sit on the edges the loaders must guard: the limits of a double, its
/// special values, the limits of 32- and 64-bit integers, huge counts, values just
/// outside the ranges of probabilities, discounts and temperatures, and positions far
/// from any scene.
pub const EXTREME_NUMBERS: [&str; 40] = [
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "-1e309",
    "5e-324",
    "1e-320",
    "-0",
    "-0.0",
    "0",
    "-1",
    "1",
    "2",
    "0.5",
    "-0.5",
    "1.5",
    "1.0000000001",
    "0.9999999999",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "-2147483649",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999",
    "1e9",
    "1000000000",
    "1e12",
    "1e4",
    "-1e4",
    "3.0",
];

/// Characters that carry structure in JSON, CSV and the `.npy` headers.
const STRUCTURAL_BYTES: &[u8] = b"\"',:;{}[]()\n\r\t 0123456789-+.eE\\\0\xff";

/// Short pieces of the formats' syntax, inserted whole.
const TOKENS: [&str; 22] = [
    "null",
    "true",
    "[]",
    "{}",
    "[[]]",
    "\"\"",
    ",",
    "\n",
    "\r\n",
    "\n\n",
    "\"npz\": \"transitions.npz\"",
    "\"horizon\": 4294967296",
    "\"n_states\": 1e9",
    ",,,,",
    "0,0,0,0\n",
    "t,0,0,\n",
    "{\"trajectory\": 1, \"states\": [0], \"actions\": []}\n",
    "\u{feff}",
    "é",
    "\u{0}",
    "'<i8'",
    "'fortran_order': True",
];

/// 4- and 8-byte patterns for binary data: integer limits, and doubles that are not
/// probabilities.
fn extreme_word(rng: &mut Rng) -> Vec<u8> {
    match rng.below(12) {
        0 => i64::MAX.to_le_bytes().to_vec(),
        1 => i64::MIN.to_le_bytes().to_vec(),
        2 => (-1i64).to_le_bytes().to_vec(),
        3 => (1i64 << 32).to_le_bytes().to_vec(),
        4 => (u32::MAX as i64).to_le_bytes().to_vec(),
        5 => f64::NAN.to_le_bytes().to_vec(),
        6 => f64::INFINITY.to_le_bytes().to_vec(),
        7 => (-0.0f64).to_le_bytes().to_vec(),
        8 => 1e308f64.to_le_bytes().to_vec(),
        9 => i32::MAX.to_le_bytes().to_vec(),
        10 => i32::MIN.to_le_bytes().to_vec(),
        _ => f32::NAN.to_le_bytes().to_vec(),
    }
}

/// Input `index` of a run seeded with `seed` over `seeds` (not empty).
pub fn input(seeds: &[Vec<u8>], seed: u64, index: u64) -> Vec<u8> {
    let mut rng = Rng::for_input(seed, index);
    let mut data = seeds[rng.below(seeds.len())].clone();
    // One input in sixteen is a seed as it is: every seed is checked throughout a run.
    if rng.below(16) == 0 {
        return data;
    }
    for _ in 0..1 + rng.below(6) {
        mutate(&mut data, seeds, &mut rng);
    }
    data.truncate(MAX_LEN);
    data
}

/// Apply one mutation to `data`.
pub fn mutate(data: &mut Vec<u8>, seeds: &[Vec<u8>], rng: &mut Rng) {
    let len = data.len();
    match rng.below(14) {
        0 if len > 0 => {
            let at = rng.below(len);
            data[at] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let at = rng.below(len);
            data[at] = STRUCTURAL_BYTES[rng.below(STRUCTURAL_BYTES.len())];
        }
        2 => {
            let at = rng.below(len + 1);
            let token = rng.pick(&TOKENS).as_bytes();
            data.splice(at..at, token.iter().copied());
        }
        3 if len > 0 => {
            let (start, end) = range(len, rng, 16);
            data.drain(start..end);
        }
        4 if len > 0 => {
            let (start, end) = range(len, rng, 64);
            let piece = data[start..end].to_vec();
            let at = rng.below(len + 1);
            data.splice(at..at, piece);
        }
        5 if len > 0 => {
            // A range repeated many times: huge counts of rows, entries or brackets.
            let (start, end) = range(len, rng, 32);
            let piece = data[start..end].to_vec();
            let times = 1 + rng.below(MAX_LEN / piece.len());
            data.splice(end..end, piece.repeat(times));
        }
        6 => lines(data, rng),
        7 if len > 0 => data.truncate(rng.below(len)),
        8 => {
            let other = &seeds[rng.below(seeds.len())];
            if !other.is_empty() {
                let (start, end) = range(other.len(), rng, 256);
                let at = rng.below(len + 1);
                let cut = at + rng.below(len - at + 1);
                data.splice(at..cut, other[start..end].iter().copied());
            }
        }
        9..=11 => replace_number(data, rng),
        12 if len >= 8 => {
            let word = extreme_word(rng);
            let at = rng.below(len / word.len()) * word.len();
            data[at..at + word.len()].copy_from_slice(&word);
        }
        _ => {
            let at = rng.below(len + 1);
            let extra: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
            data.splice(at..at, extra);
        }
    }
}

/// A range of `len` bytes of at most `max` bytes, not empty.
fn range(len: usize, rng: &mut Rng, max: usize) -> (usize, usize) {
    let start = rng.below(len);
    let end = start + 1 + rng.below(max.min(len - start));
    (start, end)
}

/// Duplicate, delete or swap whole lines, or repeat one line many times.
fn lines(data: &mut Vec<u8>, rng: &mut Rng) {
    let mut rows: Vec<Vec<u8>> = data
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if rows.is_empty() {
        return;
    }
    let i = rng.below(rows.len());
    match rng.below(4) {
        0 => {
            let row = rows[i].clone();
            rows.insert(rng.below(rows.len() + 1), row);
        }
        1 => {
            rows.remove(i);
        }
        2 => {
            let j = rng.below(rows.len());
            rows.swap(i, j);
        }
        _ => {
            let times = rng.below(MAX_LEN / rows[i].len().max(1) + 1);
            let row = rows[i].clone();
            rows.splice(i..i, std::iter::repeat_n(row, times));
        }
    }
    *data = rows.concat();
}

/// Replace one number of the text (a run of digits with its sign, point and exponent)
/// by an extreme one.
fn replace_number(data: &mut Vec<u8>, rng: &mut Rng) {
    let numbers = number_spans(data);
    let replacement = rng.pick(&EXTREME_NUMBERS).as_bytes();
    if numbers.is_empty() {
        let at = rng.below(data.len() + 1);
        data.splice(at..at, replacement.iter().copied());
        return;
    }
    let (start, end) = numbers[rng.below(numbers.len())];
    data.splice(start..end, replacement.iter().copied());
}

/// Where the numbers of `data` are: maximal runs of `-+.eE` and digits that hold a digit.
pub fn number_spans(data: &[u8]) -> Vec<(usize, usize)> {
    let part = |b: u8| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E');
    let mut spans = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if part(data[i]) && (i == 0 || !data[i - 1].is_ascii_alphabetic()) {
            let start = i;
            while i < data.len() && part(data[i]) {
                i += 1;
            }
            if data[start..i].iter().any(u8::is_ascii_digit) {
                spans.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    spans
}
