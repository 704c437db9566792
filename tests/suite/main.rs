//! The integration tests, one binary: each module exercises one part of the library or
//! the `irl` command line end to end; [`common`] holds their shared fixtures.

mod common;

mod cli_bench;
mod cli_extreme_values;
mod cli_fit;
mod cli_forecast_plot;
mod cli_mdp_errors;
mod cli_message_length;
mod cli_minimal_model;
mod cli_model_errors;
mod cli_npz;
mod cli_outputs;
mod cli_streams;
mod cli_tracks;
mod cli_tracks_grid;
mod demo;
mod demos_counts;
mod demos_last_decision;
mod demos_read;
mod enumeration;
mod formats_doc;
mod fuzz_regressions;
mod fuzz_smoke;
mod goal_conditioned;
mod gradient_properties;
mod memory_guard;
mod npz;
mod properties;
mod recovery;
mod reference;
mod solve_without_arrays;
mod standard_errors;
mod stopping_rule;
mod timed_lattice;
mod ucy_tracks;
