//! Per-state work split into chunks of consecutive states, run either on rayon's pool
//! or in order on the calling thread. Each state's arithmetic is the same on both paths,
//! so their results agree bit for bit.

use rayon::prelude::*;

/// States per chunk: S/32 rounded up to a power of two, between 256 and 2048, so small
/// problems still give every thread several chunks and large ones amortise scheduling.
pub fn chunk_states(n_states: usize) -> usize {
    n_states.div_ceil(32).next_power_of_two().clamp(256, 2048)
}

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
    let chunk = chunk_states(out.len() / width.max(1));
    let chunk_len = chunk * width;
    let scratch_len = scratch_len.max(1);
    if parallel {
        out.par_chunks_mut(chunk_len)
            .zip(scratch.par_chunks_mut(scratch_len))
            .enumerate()
            .for_each(|(c, (rows, scratch))| work(c * chunk, rows, scratch));
    } else {
        out.chunks_mut(chunk_len)
            .zip(scratch.chunks_mut(scratch_len))
            .enumerate()
            .for_each(|(c, (rows, scratch))| work(c * chunk, rows, scratch));
    }
}

/// Run `work` on one of rayon's threads when `parallel` (directly otherwise).
///
/// A pass makes one or two parallel sweeps per step. Started from a pool thread, each
/// sweep is split among threads that are already awake; started from outside, every
/// sweep would hand its work to the pool and put the caller to sleep until it is done,
/// which costs tens of microseconds per step in a virtual machine.
pub fn on_pool<R: Send>(parallel: bool, work: impl FnOnce() -> R + Send) -> R {
    if parallel {
        rayon::scope(|_| work())
    } else {
        work()
    }
}

/// Scratch for [`for_each_state_chunk`] over `n_states` states: `scratch_len` values per
/// chunk.
pub fn scratch_for(n_states: usize, scratch_len: usize) -> Vec<f64> {
    vec![0.0; n_states.div_ceil(chunk_states(n_states)) * scratch_len.max(1)]
}
