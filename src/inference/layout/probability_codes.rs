//! Transition probabilities as the kernels stream them.
//!
//! Most MDPs built from grids, discretised scenes or rules hold only a handful of
//! distinct probabilities (a slippery gridworld: 0.8, 0.1 and the sums where moves off
//! the grid merge). When there are at most 256, each entry's probability is also kept as
//! a one-byte code into a table of the distinct values: the kernels then read 1 byte per
//! entry instead of 8, and p = table[code] is the stored value exactly, so no result
//! changes. Otherwise the kernels read the `f64` values themselves.

/// Read access to the probability of each stored transition.
pub trait Weights: Copy + Send + Sync {
    /// The probability of entry `k`.
    ///
    /// # Safety
    /// `k` is below the number of entries.
    unsafe fn at(self, k: usize) -> f64;

    /// Where entry `k` is stored, for prefetching only (may lie past the end).
    fn address(self, k: usize) -> *const u8;
}

impl Weights for &[f64] {
    #[inline(always)]
    unsafe fn at(self, k: usize) -> f64 {
        // SAFETY: k is below the number of entries, the slice's length (the caller's
        // guarantee).
        unsafe { *self.get_unchecked(k) }
    }

    #[inline(always)]
    fn address(self, k: usize) -> *const u8 {
        self.as_ptr().wrapping_add(k).cast()
    }
}

/// Probabilities as one-byte codes into a table of distinct values.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbabilityCodes {
    table: Box<[f64; 256]>,
    codes: Vec<u8>,
}

impl ProbabilityCodes {
    /// Code `prob` if it holds at most 256 distinct values (compared bit for bit).
    pub fn new(prob: &[f64]) -> Option<Self> {
        const SLOTS: usize = 1024;
        const EMPTY: u64 = u64::MAX;
        let mut slot_bits = [EMPTY; SLOTS];
        let mut slot_code = [0u8; SLOTS];
        let mut table = Box::new([0.0; 256]);
        let mut distinct = 0;
        let mut codes = Vec::with_capacity(prob.len());
        for &p in prob {
            let bits = p.to_bits();
            let mut slot = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) as usize;
            let code = loop {
                if slot_bits[slot] == bits {
                    break slot_code[slot];
                }
                if slot_bits[slot] == EMPTY {
                    if distinct == table.len() {
                        return None;
                    }
                    table[distinct] = p;
                    slot_bits[slot] = bits;
                    slot_code[slot] = distinct as u8;
                    distinct += 1;
                    break slot_code[slot];
                }
                slot = (slot + 1) % SLOTS;
            };
            codes.push(code);
        }
        Some(Self { table, codes })
    }

    /// The codes and their table, as the kernels read them.
    pub fn weights(&self) -> CodedWeights<'_> {
        CodedWeights {
            table: &self.table,
            codes: &self.codes,
        }
    }

    /// Bytes held: the table and one code per entry.
    pub fn memory_bytes(&self) -> usize {
        256 * 8 + self.codes.len()
    }
}

/// Borrowed [`ProbabilityCodes`].
#[derive(Debug, Clone, Copy)]
pub struct CodedWeights<'a> {
    table: &'a [f64; 256],
    codes: &'a [u8],
}

impl Weights for CodedWeights<'_> {
    #[inline(always)]
    unsafe fn at(self, k: usize) -> f64 {
        // SAFETY: k is below the number of entries, one code each (the caller's
        // guarantee); the table has a value for every code.
        self.table[unsafe { *self.codes.get_unchecked(k) } as usize]
    }

    #[inline(always)]
    fn address(self, k: usize) -> *const u8 {
        self.codes.as_ptr().wrapping_add(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_give_back_every_value_exactly() {
        let prob = [0.8, 0.1, 0.1, 0.9, 1.0, 0.1, 0.09999999999999999, 0.8];
        let coded = ProbabilityCodes::new(&prob).unwrap();
        let weights = coded.weights();
        for (k, &p) in prob.iter().enumerate() {
            // SAFETY: k is below the 8 entries coded.
            assert_eq!(unsafe { weights.at(k) }.to_bits(), p.to_bits());
        }
        assert_eq!(coded.codes, [0, 1, 1, 2, 3, 1, 4, 0]);
        assert_eq!(coded.memory_bytes(), 2048 + 8);
    }

    #[test]
    fn more_than_256_distinct_values_are_not_coded() {
        let values: Vec<f64> = (0..256).map(|i| (i as f64 + 1.0) / 256.0).collect();
        assert!(ProbabilityCodes::new(&values).is_some());
        let mut more = values.clone();
        more.push(0.5 / 256.0);
        assert!(ProbabilityCodes::new(&more).is_none());
    }
}
