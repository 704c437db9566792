//! `irl generate`: a benchmark world with its true reward and expert demonstrations.
//!
//! Worlds with more than [`NPZ_ABOVE_ENTRIES`] transition entries (or any with `--npz`)
//! keep their transitions in `DIR/transitions.npz` (SciPy CSR, deflated), which
//! `DIR/mdp.json` references.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use irl::demos::write_demos;
use irl::learn::write_weights;
use irl::mdp::{write_mdp, write_mdp_with_npz, NpzCompression};
use irl::worlds::{
    expert_demonstrations, gridworld, objectworld, random_mdp, ExpertParams, ExpertPolicy,
    ExpertStart, GridActions, GridFeatures, GridworldParams, ObjectFeatures, ObjectworldParams,
    RandomMdpParams, World,
};

use super::files::{check_out_folder, save, write_folder};

/// The files `irl generate` writes into its folder.
const OUTPUTS: [&str; 4] = [
    "mdp.json",
    "transitions.npz",
    "true_weights.json",
    "demos.csv",
];

#[derive(Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    world: WorldArgs,
}

#[derive(Subcommand)]
enum WorldArgs {
    /// N×N grid with slippery moves; true reward linear in its features.
    Gridworld {
        /// Side N of the grid.
        #[arg(long, default_value_t = 10)]
        size: usize,
        /// Actions: 4 (E, W, N, S), 5 (with stay) or 8 (compass: E, NE, N, NW, W, SW, S, SE).
        #[arg(long, default_value_t = 5)]
        actions: usize,
        /// Probability that a move goes to another outcome instead: one of the others with
        /// 4 or 5 actions, one of the two neighbouring directions (±45°) with 8.
        #[arg(long, default_value_t = 0.2)]
        slip: f64,
        /// Features: one-hot cells, x/y coordinates one-hot, macro-blocks, or a partition
        /// into rectangular regions.
        #[arg(long, value_enum, default_value_t = GridFeatureArg::Blocks)]
        features: GridFeatureArg,
        /// Side of the macro-blocks (with --features blocks).
        #[arg(long, default_value_t = 2)]
        block: usize,
        /// Region columns (with --features regions).
        #[arg(long, default_value_t = 5)]
        columns: usize,
        /// Region rows (with --features regions).
        #[arg(long, default_value_t = 4)]
        rows: usize,
        /// Share of features with a non-zero true weight.
        #[arg(long, default_value_t = 0.1)]
        reward_density: f64,
        #[command(flatten)]
        expert: ExpertArgs,
    },
    /// Objectworld of Levine, Popović and Koltun (2011); true reward per state.
    Objectworld {
        /// Side n of the grid.
        #[arg(long, default_value_t = 32)]
        size: usize,
        /// Probability that the intended move happens.
        #[arg(long, default_value_t = 0.7)]
        move_probability: f64,
        /// Probability that a cell holds an object.
        #[arg(long, default_value_t = 0.05)]
        object_probability: f64,
        /// Continuous distances or discrete "distance < d" indicators.
        #[arg(long, value_enum, default_value_t = ObjectFeatureArg::Discrete)]
        features: ObjectFeatureArg,
        #[command(flatten)]
        expert: ExpertArgs,
    },
    /// Random sparse dynamics with Gaussian features and weights.
    Random {
        /// Number of states.
        #[arg(long, default_value_t = 100)]
        states: usize,
        /// Number of actions.
        #[arg(long, default_value_t = 4)]
        actions: usize,
        /// Successors of each (state, action).
        #[arg(long, default_value_t = 3)]
        successors: usize,
        /// Number of features.
        #[arg(long = "n-features", default_value_t = 8)]
        n_features: usize,
        #[command(flatten)]
        expert: ExpertArgs,
    },
}

#[derive(ValueEnum, Clone, Copy)]
enum GridFeatureArg {
    Onehot,
    Coords,
    Blocks,
    Regions,
}

#[derive(ValueEnum, Clone, Copy)]
enum ObjectFeatureArg {
    Continuous,
    Discrete,
}

#[derive(ValueEnum, Clone, Copy)]
enum ExpertArg {
    /// Soft-optimal for β·r.
    Soft,
    /// Optimal, with probability ε of a uniformly random action.
    Hard,
}

#[derive(ValueEnum, Clone, Copy)]
enum StartArg {
    Uniform,
    Initial,
}

#[derive(Args)]
struct ExpertArgs {
    /// Number of demonstrations N.
    #[arg(long)]
    demos: usize,
    /// Actions per demonstration T.
    #[arg(long)]
    length: usize,
    /// Seed of the world and the demonstrations.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Seed of the demonstrations alone (default: --seed), for more demonstrations of
    /// the same world, e.g. a held-out set.
    #[arg(long)]
    demos_seed: Option<u64>,
    /// The expert's policy.
    #[arg(long, value_enum, default_value_t = ExpertArg::Soft)]
    expert: ExpertArg,
    /// Inverse temperature β of the soft expert.
    #[arg(long, default_value_t = 1.0)]
    beta: f64,
    /// Random-action probability ε of the hard expert.
    #[arg(long, default_value_t = 0.0)]
    epsilon: f64,
    /// Discount γ of the expert's infinite-horizon problem.
    #[arg(long, default_value_t = 0.9)]
    discount: f64,
    /// Start states: uniform over states, or the MDP's initial distribution.
    #[arg(long, value_enum, default_value_t = StartArg::Uniform)]
    start: StartArg,
    /// Output folder: mdp.json, true_weights.json, demos.csv.
    #[arg(long)]
    out: PathBuf,
    /// Keep the transitions in DIR/transitions.npz (SciPy CSR) instead of mdp.json;
    /// automatic above 10^6 transition entries.
    #[arg(long)]
    npz: bool,
}

/// Above this many transition entries the transitions go to a `.npz` file: the JSON
/// arrays take ~31 bytes per entry on disk and ~93 at the peak of reading, against 12–16
/// and ~27 for the `.npz` (measured on 1.6·10^7 entries); at 10^6 entries the JSON
/// (~31 MB, ~0.5 s to read) is still easy to handle, and smaller worlds stay one file.
const NPZ_ABOVE_ENTRIES: usize = 1_000_000;

impl WorldArgs {
    /// The output folder.
    fn out(&self) -> &Path {
        match self {
            WorldArgs::Gridworld { expert, .. }
            | WorldArgs::Objectworld { expert, .. }
            | WorldArgs::Random { expert, .. } => &expert.out,
        }
    }
}

pub fn run(args: GenerateArgs) -> Result<()> {
    check_out_folder(args.world.out(), &OUTPUTS)?;
    let (world, expert) = match args.world {
        WorldArgs::Gridworld {
            size,
            actions,
            slip,
            features,
            block,
            columns,
            rows,
            reward_density,
            expert,
        } => {
            let actions = GridActions::from_count(actions)?;
            let features = match features {
                GridFeatureArg::Onehot => GridFeatures::OneHot,
                GridFeatureArg::Coords => GridFeatures::Coords,
                GridFeatureArg::Blocks => GridFeatures::Blocks { block },
                GridFeatureArg::Regions => GridFeatures::Regions { columns, rows },
            };
            (
                gridworld(
                    &GridworldParams {
                        size,
                        actions,
                        slip,
                        features,
                        reward_density,
                    },
                    expert.seed,
                )?,
                expert,
            )
        }
        WorldArgs::Objectworld {
            size,
            move_probability,
            object_probability,
            features,
            expert,
        } => {
            let features = match features {
                ObjectFeatureArg::Continuous => ObjectFeatures::Continuous,
                ObjectFeatureArg::Discrete => ObjectFeatures::Discrete,
            };
            let params = ObjectworldParams {
                size,
                move_probability,
                object_probability,
                features,
                ..ObjectworldParams::default()
            };
            (objectworld(&params, expert.seed)?, expert)
        }
        WorldArgs::Random {
            states,
            actions,
            successors,
            n_features,
            expert,
        } => {
            let params = RandomMdpParams {
                n_states: states,
                n_actions: actions,
                n_successors: successors,
                n_features,
                ..RandomMdpParams::default()
            };
            (random_mdp(&params, expert.seed)?, expert)
        }
    };
    write_world(&world, &expert)
}

fn write_world(world: &World, expert: &ExpertArgs) -> Result<()> {
    let params = ExpertParams {
        n_trajectories: expert.demos,
        length: expert.length,
        discount: expert.discount,
        policy: match expert.expert {
            ExpertArg::Soft => ExpertPolicy::Soft { beta: expert.beta },
            ExpertArg::Hard => ExpertPolicy::Hard {
                epsilon: expert.epsilon,
            },
        },
        start: match expert.start {
            StartArg::Uniform => ExpertStart::Uniform,
            StartArg::Initial => ExpertStart::Initial,
        },
    };
    let demos = expert_demonstrations(
        &world.mdp,
        &world.true_reward(),
        &params,
        expert.demos_seed.unwrap_or(expert.seed),
    )?;
    let out = &expert.out;
    let npz = expert.npz || world.mdp.transitions().nnz() > NPZ_ABOVE_ENTRIES;
    write_folder(out, &OUTPUTS, |dir| {
        let mdp_path = dir.join("mdp.json");
        if npz {
            write_mdp_with_npz(
                &mdp_path,
                "transitions.npz",
                &world.mdp,
                NpzCompression::Deflated,
            )?;
        } else {
            save(&mdp_path, |w| write_mdp(&world.mdp, w))?;
        }
        save(&dir.join("true_weights.json"), |w| {
            write_weights(&world.true_weights, w)
        })?;
        Ok(write_demos(&dir.join("demos.csv"), &demos)?)
    })
}
