//! Solver flags: those of `solve` and `fit`, which set every solver setting, and those of
//! `evaluate` and `forecast`, which set what a model file leaves out.

use std::path::Path;

use clap::{Args, ValueEnum};
use irl::inference::{ActionPrior, Backup, MemoryLimit, SoftSettings};
use irl::learn::GivenSettings;

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

/// Solver flags of the commands that read a model (`evaluate`, `forecast`). A model is
/// used under the settings its file gives; these flags set the ones it leaves out, and
/// all of them for an `irl-weights/1` file. A flag that contradicts the file is an error.
#[derive(Args, Debug, Clone)]
pub struct ModelSolverArgs {
    /// Number of decisions T, when the model file does not give solver.horizon (an
    /// irl-weights/1 file); without it, the infinite-horizon fixed point.
    #[arg(long)]
    pub horizon: Option<usize>,
    /// Discount γ in (0, 1], when the model file does not give one; 1 by default.
    #[arg(long)]
    pub discount: Option<f64>,
    /// Look-ahead of the soft backup, when the model file does not give one;
    /// variational by default.
    #[arg(long, value_enum)]
    pub backup: Option<BackupArg>,
    /// Temperature α > 0, when the model file does not give one; 1 by default.
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Action prior ρ(a|s), when the model file does not give one; none by default.
    #[arg(long, value_enum)]
    pub action_prior: Option<PriorArg>,
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

impl ModelSolverArgs {
    /// The settings of the flags, each flag not given at its default: what a model file
    /// does not give.
    pub fn fallback(&self) -> SoftSettings {
        let defaults = SolverArgs {
            horizon: self.horizon,
            discount: self.discount.unwrap_or(1.0),
            backup: self.backup.unwrap_or(BackupArg::Variational),
            temperature: self.temperature.unwrap_or(1.0),
            action_prior: self.action_prior.unwrap_or(PriorArg::None),
            tolerance: self.tolerance,
            max_solver_iters: self.max_solver_iters,
            memory_limit: self.memory_limit,
        };
        defaults.settings()
    }

    /// Fail when a flag given contradicts a setting that the model file `path` gives:
    /// the model is used under the settings it was fitted with.
    pub fn check_against(&self, given: &GivenSettings, path: &Path) -> anyhow::Result<()> {
        let flags = self.fallback();
        let clash = |flag: &str, value: String, field: &str, stored: String| {
            anyhow::anyhow!(
                "--{flag} {value} contradicts {}, whose solver.{field} is {stored}: a model is \
                 used under the settings it was fitted with; leave the flag out (flags set only \
                 what the file leaves out, and every setting of an irl-weights/1 file)",
                path.display()
            )
        };
        let horizon = |h: Option<usize>| h.map_or("null".to_string(), |t| t.to_string());
        if let (Some(flag), Some(stored)) = (self.horizon, given.horizon) {
            if stored != Some(flag) {
                return Err(clash(
                    "horizon",
                    flag.to_string(),
                    "horizon",
                    horizon(stored),
                ));
            }
        }
        if let (Some(flag), Some(stored)) = (self.discount, given.discount) {
            if flag != stored {
                return Err(clash(
                    "discount",
                    flag.to_string(),
                    "discount",
                    stored.to_string(),
                ));
            }
        }
        if let (Some(_), Some(stored)) = (self.backup, given.backup) {
            if flags.backup != stored {
                return Err(clash(
                    "backup",
                    backup_name(flags.backup).into(),
                    "backup",
                    backup_name(stored).into(),
                ));
            }
        }
        if let (Some(flag), Some(stored)) = (self.temperature, given.temperature) {
            if flag != stored {
                return Err(clash(
                    "temperature",
                    flag.to_string(),
                    "temperature",
                    stored.to_string(),
                ));
            }
        }
        if let (Some(_), Some(stored)) = (self.action_prior, &given.action_prior) {
            if &flags.action_prior != stored {
                return Err(clash(
                    "action-prior",
                    flags.action_prior.name().into(),
                    "action_prior",
                    stored.name().into(),
                ));
            }
        }
        Ok(())
    }
}

/// The name of a backup in documents and on the command line.
fn backup_name(backup: Backup) -> &'static str {
    match backup {
        Backup::Variational => "variational",
        Backup::Optimistic => "optimistic",
    }
}
