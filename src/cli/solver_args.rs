//! Solver flags shared by `solve`, `fit`, `evaluate` and `forecast`.

use clap::{Args, ValueEnum};
use irl::inference::{ActionPrior, Backup, MemoryLimit, SoftSettings};

use super::memory_limit::parse_memory_limit;

/// Flags of the soft dynamic program.
#[derive(Args, Debug, Clone)]
pub struct SolverArgs {
    /// Number of decisions T; without it, the infinite-horizon fixed point.
    #[arg(long)]
    pub horizon: Option<usize>,
    /// Discount γ in (0, 1].
    #[arg(long, default_value_t = 1.0)]
    pub discount: f64,
    /// Look-ahead of the soft backup.
    #[arg(long, value_enum, default_value_t = BackupArg::Variational)]
    pub backup: BackupArg,
    /// Temperature α > 0.
    #[arg(long, default_value_t = 1.0)]
    pub temperature: f64,
    /// Action prior ρ(a|s).
    #[arg(long, value_enum, default_value_t = PriorArg::None)]
    pub action_prior: PriorArg,
    /// Infinite horizon: relative tolerance of the fixed point.
    #[arg(long, default_value_t = 1e-12)]
    pub tolerance: f64,
    /// Infinite horizon: iteration cap (reaching it is an error).
    #[arg(long, default_value_t = 1_000_000)]
    pub max_solver_iters: usize,
    /// Most memory the solver may allocate, checked before it starts: a size such as
    /// 2G or 512M, "available" (the memory free now) or "none".
    #[arg(long, default_value = "available", value_parser = parse_memory_limit)]
    pub memory_limit: MemoryLimit,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum BackupArg {
    Variational,
    Optimistic,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum PriorArg {
    None,
    Uniform,
}

impl SolverArgs {
    /// The library settings these flags describe.
    pub fn settings(&self) -> SoftSettings {
        SoftSettings {
            horizon: self.horizon,
            discount: self.discount,
            backup: match self.backup {
                BackupArg::Variational => Backup::Variational,
                BackupArg::Optimistic => Backup::Optimistic,
            },
            temperature: self.temperature,
            action_prior: match self.action_prior {
                PriorArg::None => ActionPrior::None,
                PriorArg::Uniform => ActionPrior::Uniform,
            },
            tolerance: self.tolerance,
            max_iterations: self.max_solver_iters,
            parallel: true,
            memory_limit: self.memory_limit,
        }
    }
}
