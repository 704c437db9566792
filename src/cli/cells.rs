//! Naming a cell on the command line: a state index `S`, or grid coordinates `X,Y`.

use anyhow::{bail, Context, Result};
use irl::error::quote;
use irl::Mdp;

/// Parse `S` or `X,Y` into a state of the MDP.
pub fn parse_cell(text: &str, mdp: &Mdp) -> Result<usize> {
    let shown = quote(text);
    let state = match text.split_once(',') {
        Some((x, y)) => {
            let grid = mdp.grid().with_context(|| {
                format!("cell \"{shown}\": the MDP has no grid, give a state index")
            })?;
            let x: usize = x
                .trim()
                .parse()
                .with_context(|| format!("cell \"{shown}\": x is not a cell index"))?;
            let y: usize = y
                .trim()
                .parse()
                .with_context(|| format!("cell \"{shown}\": y is not a cell index"))?;
            if x >= grid.width || y >= grid.height {
                bail!(
                    "cell \"{shown}\" is outside the {}×{} grid",
                    grid.width,
                    grid.height
                );
            }
            y * grid.width + x
        }
        None => text
            .trim()
            .parse()
            .with_context(|| format!("cell \"{shown}\" is neither a state index nor X,Y"))?,
    };
    if state >= mdp.n_states() {
        bail!("state {state} is out of range 0..{}", mdp.n_states());
    }
    Ok(state)
}
