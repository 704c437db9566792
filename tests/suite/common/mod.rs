//! Fixtures shared by the integration tests: a hand-made four-state chain
//! ([`chain`]), small random MDPs kept as dense tables ([`table_mdp`]), a grid world
//! with its own goal-directed soft dynamic program ([`soft_grid`]), and demonstrations
//! sampled towards goals by the library ([`goal_sampling`]).
//! Every test binary compiles this module and uses only part of it.
#![allow(dead_code, unused_imports)]

mod chain;
mod cli;
mod goal_sampling;
mod soft_grid;
mod table_mdp;

pub use chain::*;
pub use cli::*;
pub use goal_sampling::*;
pub use soft_grid::*;
pub use table_mdp::*;
