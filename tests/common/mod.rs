//! Fixtures shared by the integration tests: a hand-made four-state chain
//! ([`chain`]) and small random MDPs kept as dense tables ([`table_mdp`]).
//! Every test binary compiles this module and uses only part of it.
#![allow(dead_code, unused_imports)]

mod chain;
mod table_mdp;

pub use chain::*;
pub use table_mdp::*;
