//! Per-state work split into chunks of consecutive states, run either on rayon's pool
//! or in order on the calling thread. Each state's arithmetic is the same on both paths,
//! so their results agree bit for bit.

use rayon::prelude::*;

/// States per chunk: large enough to amortise scheduling, small enough to balance.
pub const CHUNK_STATES: usize = 2048;

/// Call `work(first_state, rows, scratch)` for each chunk of `out`, where `out` holds
/// `width` values per state and `scratch` is a buffer of `scratch_len` values reused
/// across the chunks a worker handles.
pub fn for_each_state_chunk<F>(
    parallel: bool,
    out: &mut [f64],
    width: usize,
    scratch_len: usize,
    work: F,
) where
    F: Fn(usize, &mut [f64], &mut [f64]) + Sync + Send,
{
    let chunk_len = CHUNK_STATES * width;
    if parallel {
        out.par_chunks_mut(chunk_len).enumerate().for_each_init(
            || vec![0.0; scratch_len],
            |scratch, (c, rows)| work(c * CHUNK_STATES, rows, scratch),
        );
    } else {
        let mut scratch = vec![0.0; scratch_len];
        for (c, rows) in out.chunks_mut(chunk_len).enumerate() {
            work(c * CHUNK_STATES, rows, &mut scratch);
        }
    }
}
