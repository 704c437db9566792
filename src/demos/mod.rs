//! Demonstrations: state-action sequences, their readers, and feature counts.
//!
//! A trajectory visits states s_0..s_L and takes actions a_0..a_{L−1}; it has L actions.
//! When its last action has no observed successor it lists only s_0..s_{L−1}.

mod assemble;
mod checks;
mod counts;
mod csv_format;
mod jsonl_format;
mod read;
mod split;
mod trajectory;

pub use counts::{feature_counts, start_distribution, step_visits, visit_weights, StepVisit};
pub use csv_format::{read_demos_csv, write_demos_csv, DEMO_COLUMNS};
pub use jsonl_format::{read_demos_jsonl, write_demos_jsonl};
pub use read::{read_demos, write_demos, DemoFormat};
pub use split::{split_demos, Split};
pub use trajectory::{Demonstrations, Trajectory};
