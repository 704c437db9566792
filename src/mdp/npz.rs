//! Transitions in a SciPy sparse `.npz` file, for MDPs too large for JSON.
//!
//! `scipy.sparse.save_npz` writes a CSR matrix as a zip archive of `.npy` arrays (see
//! [`super::npy`]): `indices.npy`, `indptr.npy`, `format.npy` (a 0-d `|S3` array holding
//! b'csr'), `shape.npy` (int64, shape (2,)) and `data.npy`; deflated by default, stored
//! with `compressed=False`. The matrix here is p(s'|s,a) with S·A rows and S columns:
//! row `s·A + a` holds entries `indptr[row]..indptr[row + 1]` of `indices` (successors s')
//! and `data` (probabilities), so `P.reshape`-style indexing is `P[s * A + a, s']`.
//! Members beyond these five (SciPy's `_is_array.npy` for sparse arrays) are ignored.
//!
//! Reading accepts `indices` and `indptr` as int32 or int64 and `data` as float64 or
//! float32 (widened), converting each element as it is decompressed, so no second copy of
//! an array is held. Writing uses int32 indices when S·A, S and the number of entries all
//! fit (SciPy's own rule), int64 otherwise, and float64 data.
//!
//! The archive is read and written with the `zip` crate and each member with `npyz`
//! (see [`super::npy`]). `npyz`'s own `.npz` and SciPy-sparse support is not used: it
//! depends on an older `zip` and reads each array whole into a vector of its own
//! (`u64` indices, `usize` offsets) before anything could check or convert it, where
//! streaming keeps one copy and lets every entry be checked, and its error named
//! (`indices[17]`), as it is read.

use std::io::{self, Read, Seek, Write};
use std::path::Path;

use zip::read::ZipFile;
use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::npy::{write_header, write_vector, NpyMember};
use super::Transitions;
use crate::error::{quote, Error, Result};
use crate::inference::{MemoryEstimate, MemoryLimit};
use crate::io::{open, write_atomic};

/// The members of a SciPy CSR `.npz` archive, in the order SciPy writes them.
pub const NPZ_MEMBERS: [&str; 5] = [
    "indices.npy",
    "indptr.npy",
    "format.npy",
    "shape.npy",
    "data.npy",
];

/// How the members of a written `.npz` are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpzCompression {
    /// Uncompressed, as `save_npz(..., compressed=False)`: the fastest to write and read.
    Stored,
    /// Deflate, as `save_npz`'s default: smaller files, slower to write.
    Deflated,
}

/// Read the transitions of an MDP with `n_states` states and `n_actions` actions from a
/// SciPy CSR `.npz` file; errors name the file, the member and what was expected.
pub fn read_transitions_npz(path: &Path, n_states: usize, n_actions: usize) -> Result<Transitions> {
    read_csr_npz(open(path)?, n_states, n_actions).map_err(|e| e.in_file(path))
}

/// Read SciPy CSR `.npz` content of shape (S·A, S) from any seekable reader.
pub fn read_csr_npz(
    reader: impl Read + Seek,
    n_states: usize,
    n_actions: usize,
) -> Result<Transitions> {
    let n_rows = n_states
        .checked_mul(n_actions)
        .ok_or_else(|| Error::mdp("n_states", "S·A must be below 2^32"))?;
    let mut archive = ZipArchive::new(reader).map_err(|e| {
        Error::mdp(
            "zip archive",
            format!("cannot be read as a .npz (zip) file: {e}"),
        )
    })?;
    let format = member(&mut archive, "format.npy")?.read_string()?;
    if format != "csr" {
        return Err(Error::mdp(
            "format.npy",
            format!(
                "the sparse format is '{}', expected 'csr' (save `matrix.tocsr()`)",
                quote(&format)
            ),
        ));
    }
    let mut shape = Vec::with_capacity(2);
    let shape_member = member(&mut archive, "shape.npy")?;
    if shape_member.vector_len()? != 2 {
        return Err(Error::mdp(
            "shape.npy",
            "expected 2 dimensions (rows, columns)",
        ));
    }
    shape_member.read_integers(|_, v| {
        shape.push(v);
        Ok(())
    })?;
    if shape != [n_rows as i64, n_states as i64] {
        return Err(Error::mdp(
            "shape.npy",
            format!(
                "the matrix is {} × {}, expected (S·A, S) = ({n_rows}, {n_states}) for \
                 S = {n_states} states and A = {n_actions} actions",
                shape[0], shape[1]
            ),
        ));
    }
    let row_start = read_vector(
        &mut archive,
        "indptr.npy",
        Some(n_rows + 1),
        |reader, out| {
            reader.read_integers(|k, v| {
                let offset = usize::try_from(v).map_err(|_| {
                    Error::mdp(format!("indptr[{k}]"), format!("offset {v} is negative"))
                })?;
                out.push(offset);
                Ok(())
            })
        },
    )?;
    let next = read_vector(&mut archive, "indices.npy", None, |reader, out| {
        reader.read_integers(|k, v| {
            if !(0..n_states as i64).contains(&v) {
                return Err(Error::mdp(
                    format!("indices[{k}]"),
                    format!("state {v} is out of range 0..{n_states}"),
                ));
            }
            out.push(v as u32);
            Ok(())
        })
    })?;
    let prob = read_vector(&mut archive, "data.npy", None, |reader, out| {
        reader.read_floats(|_, v| {
            out.push(v);
            Ok(())
        })
    })?;
    Transitions::from_csr(n_states, n_actions, row_start, next, prob)
}

/// Open `name` in the archive, with an error that lists the members a CSR file holds.
fn member<'a, R: Read + Seek>(
    archive: &'a mut ZipArchive<R>,
    name: &str,
) -> Result<NpyMember<ZipFile<'a, R>>> {
    let file = archive.by_name(name).map_err(|e| match e {
        ZipError::FileNotFound => Error::mdp(
            name,
            format!(
                "is missing; a SciPy CSR .npz holds {}",
                NPZ_MEMBERS.join(", ")
            ),
        ),
        other => Error::mdp(name, format!("cannot be opened: {other}")),
    })?;
    let size = file.size();
    NpyMember::open(file, name, Some(size))
}

/// Read a 1-D member of `element_bytes`-byte elements into a vector reserved once at its
/// declared length, which must be `expected` when that is known, and whose elements must
/// fit in the available memory: both are checked before anything is reserved.
fn read_vector<T, R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    name: &'static str,
    expected: Option<usize>,
    fill: impl FnOnce(NpyMember<ZipFile<'_, R>>, &mut Vec<T>) -> Result<()>,
) -> Result<Vec<T>> {
    let reader = member(archive, name)?;
    let len = reader.vector_len()?;
    if let Some(expected) = expected.filter(|&e| e != len) {
        return Err(Error::mdp(
            name,
            format!("has {len} elements, expected S·A + 1 = {expected}"),
        ));
    }
    let bytes = (len as u64).saturating_mul(std::mem::size_of::<T>() as u64);
    MemoryEstimate::default()
        .with(name, bytes)
        .because(format!("{name} declares {len} elements"))
        .check("reading the transitions", MemoryLimit::Available)?;
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| {
        Error::mdp(
            name,
            format!("declares {len} elements, more than memory can hold"),
        )
    })?;
    fill(reader, &mut out)?;
    Ok(out)
}

/// Write transitions as a SciPy CSR `.npz` file, atomically (nothing is left at `path`
/// unless the whole file was written).
pub fn write_transitions_npz(
    path: &Path,
    transitions: &Transitions,
    compression: NpzCompression,
) -> Result<()> {
    write_atomic(path, |w| write_csr_npz(w, transitions, compression))
}

/// Write transitions as SciPy CSR `.npz` content, members in SciPy's order.
pub fn write_csr_npz(
    writer: impl Write + Seek,
    transitions: &Transitions,
    compression: NpzCompression,
) -> Result<()> {
    let (indptr, _, data) = transitions.csr();
    let int32 = [indptr.len() - 1, transitions.n_states(), data.len()]
        .iter()
        .all(|&v| v <= i32::MAX as usize);
    write_members(writer, transitions, compression, int32)
}

/// Write the five members, with int32 indices and offsets when `int32`, else int64.
fn write_members(
    writer: impl Write + Seek,
    transitions: &Transitions,
    compression: NpzCompression,
    int32: bool,
) -> Result<()> {
    let (indptr, indices, data) = transitions.csr();
    let n_states = transitions.n_states();
    let n_rows = indptr.len() - 1;
    let method = match compression {
        NpzCompression::Stored => CompressionMethod::Stored,
        NpzCompression::Deflated => CompressionMethod::Deflated,
    };
    let mut zip = ZipWriter::new(writer);
    let start = |zip: &mut ZipWriter<_>, name: &str, elements: usize, size: usize| {
        let bytes = (elements * size) as u64;
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes > u32::MAX as u64 / 2);
        zip.start_file(name, options).map_err(zip_error)
    };
    let index_size = if int32 { 4 } else { 8 };
    start(&mut zip, "indices.npy", indices.len(), index_size)?;
    write_indices(&mut zip, indices, int32).map_err(io_error)?;
    start(&mut zip, "indptr.npy", indptr.len(), index_size)?;
    write_indices(&mut zip, indptr, int32).map_err(io_error)?;
    start(&mut zip, "format.npy", 3, 1)?;
    write_header(&mut zip, "|S3", &[])
        .and_then(|()| zip.write_all(b"csr"))
        .map_err(io_error)?;
    start(&mut zip, "shape.npy", 2, 8)?;
    let shape = [n_rows as i64, n_states as i64];
    write_vector(&mut zip, "<i8", &shape, i64::to_le_bytes).map_err(io_error)?;
    start(&mut zip, "data.npy", data.len(), 8)?;
    write_vector(&mut zip, "<f8", data, f64::to_le_bytes).map_err(io_error)?;
    zip.finish().map_err(zip_error)?;
    Ok(())
}

/// A 1-D array of indices or offsets as int32 (`<i4`) when `int32`, else int64 (`<i8`).
fn write_indices(writer: &mut impl Write, values: &[u32], int32: bool) -> io::Result<()> {
    if int32 {
        write_vector(writer, "<i4", values, |v| (v as i32).to_le_bytes())
    } else {
        write_vector(writer, "<i8", values, |v| i64::from(v).to_le_bytes())
    }
}

fn io_error(e: io::Error) -> Error {
    Error::Io {
        path: "<output>".into(),
        source: e,
    }
}

fn zip_error(e: ZipError) -> Error {
    match e {
        ZipError::Io(e) => io_error(e),
        other => io_error(io::Error::other(other)),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    /// s0 -a0-> s1; s0 -a1-> {s0: 0.5, s2: 0.5}; s1 -a0-> s2; s1 -a1-> {s0: 0.25, s1: 0.75};
    /// s2 -a0-> s2; s2 -a1 unavailable.
    fn three_states() -> Transitions {
        Transitions::from_arrays(
            3,
            2,
            &[0, 0, 0, 1, 1, 1, 2],
            &[0, 1, 1, 0, 1, 1, 0],
            &[1, 0, 2, 2, 0, 1, 2],
            &[1.0, 0.5, 0.5, 1.0, 0.25, 0.75, 1.0],
        )
        .unwrap()
    }

    fn member_bytes(archive: &[u8], name: &str) -> Vec<u8> {
        let mut zip = ZipArchive::new(Cursor::new(archive)).unwrap();
        let mut out = vec![];
        zip.by_name(name).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn each_width_and_compression_round_trips() {
        let t = three_states();
        for compression in [NpzCompression::Stored, NpzCompression::Deflated] {
            for int32 in [true, false] {
                let mut out = Cursor::new(vec![]);
                write_members(&mut out, &t, compression, int32).unwrap();
                let bytes = out.into_inner();
                let indices = member_bytes(&bytes, "indices.npy");
                let descr = if int32 {
                    "'descr': '<i4'"
                } else {
                    "'descr': '<i8'"
                };
                assert!(String::from_utf8_lossy(&indices).contains(descr));
                // 7 successors of 4 or 8 bytes after a 128-byte header
                assert_eq!(indices.len(), 128 + 7 * if int32 { 4 } else { 8 });
                assert_eq!(read_csr_npz(Cursor::new(bytes), 3, 2).unwrap(), t);
            }
        }
    }

    #[test]
    fn written_members_follow_scipy() {
        let mut out = Cursor::new(vec![]);
        write_csr_npz(&mut out, &three_states(), NpzCompression::Stored).unwrap();
        let bytes = out.into_inner();
        let zip = ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        assert_eq!(names, NPZ_MEMBERS);
        let format = member_bytes(&bytes, "format.npy");
        assert!(format.ends_with(b" \ncsr") && format.len() % 64 == 3);
        assert!(String::from_utf8_lossy(&format).contains("'descr': '|S3'"));
        let shape = member_bytes(&bytes, "shape.npy");
        let dims: Vec<i64> = shape[shape.len() - 16..]
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(dims, [6, 3]);
        let indptr = member_bytes(&bytes, "indptr.npy");
        let offsets: Vec<i32> = indptr[indptr.len() - 28..]
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        assert_eq!(offsets, [0, 1, 3, 4, 6, 7, 7]);
    }
}
