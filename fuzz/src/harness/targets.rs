//! The loaders under test, each called the way the `irl` command calls it, with what the
//! command does next with what it read where that is a check against an MDP:
//!
//! | target        | calls                                                                         |
//! |---------------|-------------------------------------------------------------------------------|
//! | `mdp`         | `read_mdp` (what `read_mdp_file` runs on the file's content)                  |
//! | `npz`         | `read_mdp_file` of a fixed document whose transitions are the input `.npz`    |
//! | `weights`     | `read_weights`, `check_against` the fixture's features, then `solve`          |
//! | `model`       | `FittedModel::read`, `check_mdp` on the fixture, then `policy`               |
//! | `demos-csv`   | `read_demos_csv` against the fixture MDP                                      |
//! | `demos-jsonl` | `read_demos_jsonl` against the fixture MDP                                    |
//! | `tracks`      | `read_tracks`, then `irl discretize`'s grid: extent, memory check, discretise, features |
//!
//! The fixture is `corpus/fixture/mdp.json`: four states on a 2 × 2 grid in metres, three
//! named actions, a terminal state, unavailable actions and a stochastic transition.
//! Every memory guard the loaders and solvers pass is given the run's memory limit.

use std::fs;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use irl::demos::{read_demos_csv, read_demos_jsonl};
use irl::inference::{solve, MemoryLimit, SoftSettings};
use irl::learn::{read_weights, FittedModel};
use irl::mdp::{read_mdp, read_mdp_file, Features, NPZ_MEMBERS};
use irl::tracks::{
    check_grid_memory, discretize_in_scene, grid_features, read_tracks, visited_cells,
    Connectivity, Extent, GridFeatureParams, GridMemory, GridMoves, Scene,
};
use irl::Mdp;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::mutate::{self, Rng};

/// One loader under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Mdp,
    Npz,
    Weights,
    Model,
    DemosCsv,
    DemosJsonl,
    Tracks,
}

impl Target {
    /// Every target, in the order a run of all of them takes them.
    pub const ALL: [Target; 7] = [
        Target::Mdp,
        Target::Npz,
        Target::Weights,
        Target::Model,
        Target::DemosCsv,
        Target::DemosJsonl,
        Target::Tracks,
    ];

    /// The target's name, which is also its corpus folder.
    pub fn name(self) -> &'static str {
        match self {
            Target::Mdp => "mdp",
            Target::Npz => "npz",
            Target::Weights => "weights",
            Target::Model => "model",
            Target::DemosCsv => "demos-csv",
            Target::DemosJsonl => "demos-jsonl",
            Target::Tracks => "tracks",
        }
    }

    /// The target called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The file extension of the target's inputs.
    pub fn extension(self) -> &'static str {
        match self {
            Target::Mdp | Target::Weights | Target::Model => "json",
            Target::Npz => "npz",
            Target::DemosCsv | Target::Tracks => "csv",
            Target::DemosJsonl => "jsonl",
        }
    }

    /// The seed files of the target in `corpus`, sorted by name, with their contents.
    pub fn seeds(self, corpus: &Path) -> anyhow::Result<Vec<(PathBuf, Vec<u8>)>> {
        let folder = corpus.join(self.name());
        let mut paths: Vec<PathBuf> = fs::read_dir(&folder)
            .with_context(|| format!("cannot read the corpus folder {}", folder.display()))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        paths.retain(|p| p.is_file());
        paths.sort();
        anyhow::ensure!(!paths.is_empty(), "{} holds no seed", folder.display());
        paths
            .into_iter()
            .map(|p| {
                let bytes = fs::read(&p).with_context(|| format!("cannot read {}", p.display()))?;
                Ok((p, bytes))
            })
            .collect()
    }

    /// Input `index` of a run seeded with `seed` over `seeds`. An `.npz` input is half
    /// the time a byte-level mutation of an archive, half the time an archive rebuilt
    /// from mutated members, so that mutations reach the `.npy` arrays past the zip
    /// layer's checksums.
    pub fn input(self, seeds: &[Vec<u8>], seed: u64, index: u64) -> Vec<u8> {
        let mut rng = Rng::for_input(seed ^ 0x6E70_7A00, index);
        if self == Target::Npz && rng.below(2) == 0 {
            if let Some(rebuilt) = rebuilt_archive(seeds, &mut rng) {
                return rebuilt;
            }
        }
        mutate::input(seeds, seed, index)
    }
}

/// An archive of the members of one seed, some of them mutated, dropped, repeated or
/// renamed, stored or deflated; `None` when the seed is not a readable archive.
fn rebuilt_archive(seeds: &[Vec<u8>], rng: &mut Rng) -> Option<Vec<u8>> {
    let archive_bytes = &seeds[rng.below(seeds.len())];
    let mut archive = ZipArchive::new(Cursor::new(archive_bytes)).ok()?;
    let mut members = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).ok()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).ok()?;
        members.push((file.name().ok()?.to_string(), bytes));
    }
    if members.is_empty() {
        return None;
    }
    let member_seeds: Vec<Vec<u8>> = members.iter().map(|(_, b)| b.clone()).collect();
    for _ in 0..1 + rng.below(3) {
        let k = rng.below(members.len());
        match rng.below(8) {
            0 if members.len() > 1 => {
                members.remove(k);
            }
            1 => members.push(members[k].clone()),
            2 => members[k].0 = NPZ_MEMBERS[rng.below(NPZ_MEMBERS.len())].to_string(),
            _ => {
                for _ in 0..1 + rng.below(3) {
                    mutate::mutate(&mut members[k].1, &member_seeds, rng);
                }
                members[k].1.truncate(mutate::MAX_LEN);
            }
        }
    }
    let method = if rng.below(2) == 0 {
        CompressionMethod::Stored
    } else {
        CompressionMethod::Deflated
    };
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in &members {
        let options = SimpleFileOptions::default().compression_method(method);
        // A repeated name is refused by the writer: that member is left out.
        if zip.start_file(name.as_str(), options).is_ok() {
            zip.write_all(bytes).ok()?;
        }
    }
    Some(zip.finish().ok()?.into_inner())
}

/// What a target reads its inputs against, and where an `.npz` input is put.
pub struct Loader {
    target: Target,
    mdp: Mdp,
    limit: MemoryLimit,
    /// The folder of the `npz` target: `mdp.json` referring to `transitions.npz`.
    npz_folder: Option<tempfile::TempDir>,
}

impl Loader {
    /// The loader of `target`, its fixtures read from `corpus/fixture`, every memory
    /// guard given `memory_limit` bytes.
    pub fn new(target: Target, corpus: &Path, memory_limit: u64) -> anyhow::Result<Self> {
        let fixture = corpus.join("fixture");
        let mdp = read_mdp_file(&fixture.join("mdp.json"))?;
        let npz_folder = match target {
            Target::Npz => {
                let folder = tempfile::tempdir().context("cannot create a temporary folder")?;
                fs::copy(fixture.join("mdp-npz.json"), folder.path().join("mdp.json"))
                    .context("cannot copy the fixture of the npz target")?;
                Some(folder)
            }
            _ => None,
        };
        Ok(Self {
            target,
            mdp,
            limit: MemoryLimit::Bytes(memory_limit),
            npz_folder,
        })
    }

    /// Read `input` as the target's loader does; `Ok` when it is accepted.
    pub fn load(&self, input: &[u8]) -> irl::Result<()> {
        match self.target {
            Target::Mdp => read_mdp(input).map(drop),
            Target::Npz => self.load_npz(input),
            Target::Weights => self.load_weights(input),
            Target::Model => self.load_model(input),
            Target::DemosCsv => read_demos_csv(input, &self.mdp).map(drop),
            Target::DemosJsonl => read_demos_jsonl(input, &self.mdp).map(drop),
            Target::Tracks => self.load_tracks(input),
        }
    }

    fn load_npz(&self, input: &[u8]) -> irl::Result<()> {
        let folder = self
            .npz_folder
            .as_ref()
            .expect("the npz target has a folder");
        let npz = folder.path().join("transitions.npz");
        // A new file each time: ext4 writes a file truncated and rewritten through to disk.
        let _ = fs::remove_file(&npz);
        fs::write(&npz, input).map_err(|source| irl::Error::Io { path: npz, source })?;
        read_mdp_file(&folder.path().join("mdp.json")).map(drop)
    }

    /// `irl solve`: the weights must fit the MDP's features (or be a reward per state,
    /// as `--true-weights` allows), then a finite-horizon solve.
    fn load_weights(&self, input: &[u8]) -> irl::Result<()> {
        let weights = read_weights(input)?;
        let one_hot = Features::one_hot(self.mdp.n_states());
        if weights.check_against(self.mdp.features()).is_err() {
            return weights.check_against(&one_hot);
        }
        let settings = SoftSettings {
            memory_limit: self.limit,
            ..SoftSettings::finite(6, 0.9)
        };
        solve(&self.mdp, weights.theta().view(), &settings, true).map(drop)
    }

    /// `irl forecast` and `irl evaluate`: the model must fit the MDP, then its policy
    /// under its own solver settings.
    fn load_model(&self, input: &[u8]) -> irl::Result<()> {
        let mut model = FittedModel::read(input)?;
        model.check_mdp(&self.mdp)?;
        model.settings.memory_limit = self.limit;
        model.policy(&self.mdp).map(drop)
    }

    /// `irl discretize` with its defaults (0.5 m cells, 8 neighbours, no stay).
    fn load_tracks(&self, input: &[u8]) -> irl::Result<()> {
        let tracks = read_tracks(input, "tracks.csv")?;
        let extent = Extent::of(&tracks)?;
        let scene = Scene::covering_extent(&extent, 0.5)?;
        let connectivity = Connectivity::Eight;
        let params = GridFeatureParams::default();
        let memory = GridMemory::of(&scene, &GridMoves::new(connectivity, false), &params)?;
        check_grid_memory(&scene, &extent, &memory, self.limit)?;
        let d = discretize_in_scene(&tracks, &scene, connectivity, false)?;
        let visited = visited_cells(&d.demos, d.scene.n_cells())?;
        d.mdp
            .with_features(grid_features(&d.scene, &visited, &params)?)
            .map(drop)
    }
}
