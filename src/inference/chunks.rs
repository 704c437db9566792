//! Per-state work split into chunks of consecutive states, run either on rayon's pool
//! or in order on the calling thread. Each state's arithmetic is the same on both paths,
//! so their results agree bit for bit.

use rayon::prelude::*;

/// States per chunk: large enough to amortise scheduling, small enough to balance.
pub const CHUNK_STATES: usize = 2048;

/// Call `work(first_state, rows, scratch)` for each chunk of `out`, where `out` holds
/// `width` values per state and `scratch` holds `scratch_len` values for each chunk
/// (see [`scratch_for`]), allocated once by the caller so that repeated sweeps allocate
/// nothing.
pub fn for_each_state_chunk<F>(
    parallel: bool,
    out: &mut [f64],
    width: usize,
    scratch: &mut [f64],
    scratch_len: usize,
    work: F,
) where
    F: Fn(usize, &mut [f64], &mut [f64]) + Sync + Send,
{
    let chunk_len = CHUNK_STATES * width;
    let scratch_len = scratch_len.max(1);
    if parallel {
        out.par_chunks_mut(chunk_len)
            .zip(scratch.par_chunks_mut(scratch_len))
            .enumerate()
            .for_each(|(c, (rows, scratch))| work(c * CHUNK_STATES, rows, scratch));
    } else {
        out.chunks_mut(chunk_len)
            .zip(scratch.chunks_mut(scratch_len))
            .enumerate()
            .for_each(|(c, (rows, scratch))| work(c * CHUNK_STATES, rows, scratch));
    }
}

/// Scratch for [`for_each_state_chunk`] over `n_states` states: `scratch_len` values per
/// chunk.
pub fn scratch_for(n_states: usize, scratch_len: usize) -> Vec<f64> {
    vec![0.0; n_states.div_ceil(CHUNK_STATES) * scratch_len.max(1)]
}
