//! Demonstrations: state-action sequences, their readers, and feature counts.
//!
//! A trajectory visits states s_0..s_L and takes actions a_0..a_{L−1}; it has L actions.

mod trajectory;

pub use trajectory::{Demonstrations, Trajectory};
