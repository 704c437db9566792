//! Transitions in SciPy CSR `.npz` files, through the library.
//!
//! - The fixtures SciPy wrote (deflated, stored, int64 indices, float32 data as a sparse
//!   array, .npy headers of versions 2.0 and 3.0) read as the hand-known matrix below, and
//!   are what their names say (checked on the archive itself).
//! - Written files read back equal, stored and deflated.
//! - Every malformed archive (another sparse format, a missing member, big-endian or other
//!   element types, Fortran order, a wrong shape, negative or out-of-range indices, bad
//!   rows, truncated or corrupt zip data) is refused with an error naming the file and the
//!   member or array at fault.
//! - An `irl-mdp/1` document referencing a .npz reads as the all-JSON one; relative paths
//!   are relative to the document's folder; errors name both files; the JSON-and-npz
//!   writer leaves nothing behind when it fails.
//!
//! The fixtures in tests/data/npz/ were written in that folder, with SciPy 1.17.1 and
//! NumPy 2.4.6, by this Python:
//!
//!     import io, zipfile
//!     import numpy as np
//!     import scipy.sparse as sp
//!
//!     # p(s'|s,a) for S = 3, A = 2; row s*A + a, column s'; row 5 (s=2, a=1) is empty.
//!     P = np.array([
//!         [0.0, 1.0, 0.0],    # s0 a0 -> s1
//!         [0.5, 0.0, 0.5],    # s0 a1 -> s0 | s2
//!         [0.0, 0.0, 1.0],    # s1 a0 -> s2
//!         [0.25, 0.75, 0.0],  # s1 a1 -> s0 | s1
//!         [0.0, 0.0, 1.0],    # s2 a0 -> s2
//!         [0.0, 0.0, 0.0],    # s2 a1 unavailable
//!     ])
//!     m = sp.csr_matrix(P)
//!     sp.save_npz("compressed.npz", m)
//!     sp.save_npz("stored.npz", m, compressed=False)
//!     wide = sp.csr_matrix(P)
//!     wide.indices = wide.indices.astype(np.int64)
//!     wide.indptr = wide.indptr.astype(np.int64)
//!     sp.save_npz("int64.npz", wide)
//!     single = sp.csr_array(P.astype(np.float32))
//!     sp.save_npz("float32_array.npz", single)
//!     sp.save_npz("csc.npz", m.tocsc())
//!     # .npy headers of versions 2.0 and 3.0 (NumPy picks them only for huge or non-Latin-1
//!     # headers, so the archive is assembled by hand).
//!     with zipfile.ZipFile("npy_v2_v3.npz", "w", zipfile.ZIP_DEFLATED) as z:
//!         arrays = {"indices": (m.indices, (2, 0)), "indptr": (m.indptr, (3, 0)),
//!                   "format": (np.array(b"csr"), (1, 0)), "shape": (np.array(m.shape), (2, 0)),
//!                   "data": (m.data, (3, 0))}
//!         for name, (array, version) in arrays.items():
//!             buffer = io.BytesIO()
//!             np.lib.format.write_array(buffer, array, version=version)
//!             z.writestr(name + ".npy", buffer.getvalue())

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use irl::mdp::{
    read_mdp, read_mdp_file, read_transitions_npz, write_mdp_with_npz, write_transitions_npz,
    FeatureTable, Features, Mdp, MdpParts, NpzCompression, Transitions,
};
use irl::worlds::{gridworld, GridActions, GridFeatures, GridworldParams};
use ndarray::array;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/npz")
        .join(name)
}

/// The fixtures' matrix: s0 -a0-> s1; s0 -a1-> {s0: 0.5, s2: 0.5}; s1 -a0-> s2;
/// s1 -a1-> {s0: 0.25, s1: 0.75}; s2 -a0-> s2; s2 -a1 unavailable.
fn hand_transitions() -> Transitions {
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

/// The raw bytes of one archive member.
fn member(archive: &Path, name: &str) -> (CompressionMethod, Vec<u8>) {
    let mut zip = ZipArchive::new(fs::File::open(archive).unwrap()).unwrap();
    let mut file = zip.by_name(name).unwrap();
    let mut bytes = vec![];
    std::io::Read::read_to_end(&mut file, &mut bytes).unwrap();
    (file.compression(), bytes)
}

#[test]
fn scipy_fixtures_hold_the_hand_known_transitions() {
    let expected = hand_transitions();
    for name in [
        "compressed.npz",
        "stored.npz",
        "int64.npz",
        "float32_array.npz",
        "npy_v2_v3.npz",
    ] {
        let t = read_transitions_npz(&fixture(name), 3, 2).unwrap();
        assert_eq!(t, expected, "{name}");
        assert_eq!(t.successors(1, 1), (&[0u32, 1][..], &[0.25, 0.75][..]));
        assert!(!t.available(2, 1));
    }
    let (method, _) = member(&fixture("compressed.npz"), "data.npy");
    assert_eq!(method, CompressionMethod::Deflated);
    let (method, _) = member(&fixture("stored.npz"), "data.npy");
    assert_eq!(method, CompressionMethod::Stored);
    let (_, indices) = member(&fixture("int64.npz"), "indices.npy");
    assert!(String::from_utf8_lossy(&indices).contains("'<i8'"));
    let (_, data) = member(&fixture("float32_array.npz"), "data.npy");
    assert!(String::from_utf8_lossy(&data).contains("'<f4'"));
    let (_, indices) = member(&fixture("npy_v2_v3.npz"), "indices.npy");
    let (_, indptr) = member(&fixture("npy_v2_v3.npz"), "indptr.npy");
    assert_eq!((indices[6], indptr[6]), (2, 3));
}

#[test]
fn written_files_read_back_equal() {
    let world = gridworld(
        &GridworldParams {
            size: 7,
            actions: GridActions::CardinalAndStay,
            slip: 0.3,
            features: GridFeatures::OneHot,
            reward_density: 0.5,
        },
        3,
    )
    .unwrap();
    let t = world.mdp.transitions();
    let dir = tempfile::tempdir().unwrap();
    for compression in [NpzCompression::Stored, NpzCompression::Deflated] {
        let path = dir.path().join("t.npz");
        write_transitions_npz(&path, t, compression).unwrap();
        assert_eq!(&read_transitions_npz(&path, 49, 5).unwrap(), t);
        let (method, _) = member(&path, "indices.npy");
        let expected = match compression {
            NpzCompression::Stored => CompressionMethod::Stored,
            NpzCompression::Deflated => CompressionMethod::Deflated,
        };
        assert_eq!(method, expected);
    }
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// A `.npy` member built by hand: a 1.0 header and the given element bytes.
fn npy(descr: &str, shape: &str, fortran: bool, elements: &[u8]) -> Vec<u8> {
    let fortran = if fortran { "True" } else { "False" };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}\n");
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend_from_slice(elements);
    out
}

fn le<T: Copy, const N: usize>(values: &[T], bytes: fn(T) -> [u8; N]) -> Vec<u8> {
    values.iter().flat_map(|&v| bytes(v)).collect()
}

/// Archive members: name and bytes.
type Members = Vec<(&'static str, Vec<u8>)>;

/// The members of the hand matrix, valid, in SciPy's order.
fn valid_members() -> Members {
    vec![
        (
            "indices.npy",
            npy(
                "<i4",
                "(7,)",
                false,
                &le(&[1, 0, 2, 2, 0, 1, 2], i32::to_le_bytes),
            ),
        ),
        (
            "indptr.npy",
            npy(
                "<i4",
                "(7,)",
                false,
                &le(&[0, 1, 3, 4, 6, 7, 7], i32::to_le_bytes),
            ),
        ),
        ("format.npy", npy("|S3", "()", false, b"csr")),
        (
            "shape.npy",
            npy("<i8", "(2,)", false, &le(&[6, 3], i64::to_le_bytes)),
        ),
        (
            "data.npy",
            npy(
                "<f8",
                "(7,)",
                false,
                &le(&[1.0, 0.5, 0.5, 1.0, 0.25, 0.75, 1.0], f64::to_le_bytes),
            ),
        ),
    ]
}

fn with(name: &str, bytes: Vec<u8>) -> Members {
    let mut members = valid_members();
    members.iter_mut().find(|(n, _)| *n == name).unwrap().1 = bytes;
    members
}

fn archive(members: &[(&str, Vec<u8>)], method: CompressionMethod) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(vec![]));
    for (name, bytes) in members {
        zip.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Where a member's (possibly compressed) bytes start and how many there are, from its
/// local header (signature PK\3\4; sizes at 18, name and extra lengths at 26 and 28).
fn member_span(archive: &[u8], name: &str) -> (usize, usize) {
    let u16_at = |i: usize| u16::from_le_bytes([archive[i], archive[i + 1]]) as usize;
    let start = (0..archive.len() - 30)
        .find(|&i| {
            archive[i..].starts_with(b"PK\x03\x04")
                && archive[i + 30..].starts_with(name.as_bytes())
        })
        .unwrap();
    let size = u32::from_le_bytes(archive[start + 18..start + 22].try_into().unwrap()) as usize;
    (start + 30 + u16_at(start + 26) + u16_at(start + 28), size)
}

fn read_error(bytes: &[u8]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.npz");
    fs::write(&path, bytes).unwrap();
    let e = read_transitions_npz(&path, 3, 2).unwrap_err().to_string();
    (e, path.display().to_string())
}

#[test]
fn the_hand_built_members_are_valid() {
    for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
        let bytes = archive(&valid_members(), method);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("good.npz");
        fs::write(&path, bytes).unwrap();
        assert_eq!(
            read_transitions_npz(&path, 3, 2).unwrap(),
            hand_transitions()
        );
    }
}

#[test]
fn each_malformed_archive_names_the_file_and_member() {
    let be: Vec<u8> = [1i32, 0, 2, 2, 0, 1, 2]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let indices = |values: &[i64]| npy("<i8", "(7,)", false, &le(values, i64::to_le_bytes));
    let data = |values: &[f64]| {
        npy(
            "<f8",
            &format!("({},)", values.len()),
            false,
            &le(values, f64::to_le_bytes),
        )
    };
    let f4 = |values: &[f32]| le(values, f32::to_le_bytes);
    let cases: Vec<(Members, &[&str])> = vec![
        (
            with("format.npy", npy("|S3", "()", false, b"csc")),
            &["format.npy", "'csc'", "expected 'csr'"],
        ),
        (
            with("format.npy", npy("|S3", "()", false, b"coo")),
            &["format.npy", "'coo'"],
        ),
        (
            with("format.npy", npy("<i8", "()", false, &[0; 8])),
            &["format.npy", "'<i8' is not supported"],
        ),
        (valid_members()[..4].to_vec(), &["data.npy", "is missing"]),
        (
            valid_members()[1..].to_vec(),
            &["indices.npy", "is missing"],
        ),
        (
            with("indices.npy", npy(">i4", "(7,)", false, &be)),
            &["indices.npy", "'>i4' is big-endian"],
        ),
        (
            with("indices.npy", npy("<u4", "(7,)", false, &[0; 28])),
            &["indices.npy", "'<u4' is not supported"],
        ),
        (
            with("data.npy", npy("<i8", "(7,)", false, &[0; 56])),
            &["data.npy", "'<i8' is not supported", "'<f8'"],
        ),
        (
            with("data.npy", npy(">f8", "(7,)", false, &[0; 56])),
            &["data.npy", "big-endian"],
        ),
        (
            with("data.npy", npy("<f2", "(7,)", false, &[0; 14])),
            &["data.npy", "'<f2' is not supported"],
        ),
        (
            with("indices.npy", npy("<i4", "(7, 1)", true, &[0; 28])),
            &["indices.npy", "Fortran"],
        ),
        (
            with(
                "shape.npy",
                npy("<i8", "(2,)", false, &le(&[6i64, 4], i64::to_le_bytes)),
            ),
            &["shape.npy", "expected (S·A, S) = (6, 3)"],
        ),
        (
            with("shape.npy", npy("<i8", "(3,)", false, &[0; 24])),
            &["shape.npy", "2 dimensions"],
        ),
        (
            with("indices.npy", indices(&[1, 0, -1, 2, 0, 1, 2])),
            &["indices[2]", "state -1 is out of range 0..3"],
        ),
        (
            with("indices.npy", indices(&[1, 0, 2, 1 << 32, 0, 1, 2])),
            &["indices[3]", "4294967296 is out of range"],
        ),
        (
            with("indices.npy", indices(&[1, 0, 2, 3, 0, 1, 2])),
            &["indices[3]", "out of range"],
        ),
        (
            with(
                "indptr.npy",
                npy(
                    "<i4",
                    "(7,)",
                    false,
                    &le(&[0, -1, 3, 4, 6, 7, 7], i32::to_le_bytes),
                ),
            ),
            &["indptr[1]", "negative"],
        ),
        (
            with(
                "indptr.npy",
                npy(
                    "<i4",
                    "(6,)",
                    false,
                    &le(&[0, 1, 3, 4, 6, 7], i32::to_le_bytes),
                ),
            ),
            &["indptr", "S·A + 1 = 7"],
        ),
        (
            with("data.npy", data(&[0.9, 0.5, 0.5, 1.0, 0.25, 0.75, 1.0])),
            &["indptr[0]", "sum to 0.9"],
        ),
        (
            with("data.npy", data(&[1.0, 0.5, 0.5, 1.0, 0.25, 0.75])),
            &["indices", "data has 6"],
        ),
        (
            with(
                "data.npy",
                npy("<f4", "(7,)", false, &f4(&[1.0, 0.5, 0.5, 1.0, 0.25, 0.75])),
            ),
            &["data.npy", "holds 24 bytes", "28 bytes"],
        ),
        (
            with("data.npy", b"\x93NUMPY\x01\x00\xff".to_vec()),
            &["data.npy", "not a valid .npy"],
        ),
    ];
    for (members, expected) in cases {
        for method in [CompressionMethod::Stored, CompressionMethod::Deflated] {
            let (e, file) = read_error(&archive(&members, method));
            assert!(
                e.starts_with(&format!("{file}: ")),
                "file not named in {e:?}"
            );
            for part in expected {
                assert!(e.contains(part), "{part:?} not in {e:?}");
            }
        }
    }
}

#[test]
fn truncated_and_corrupt_archives_are_refused() {
    let stored = archive(&valid_members(), CompressionMethod::Stored);
    let (e, file) = read_error(&stored[..stored.len() / 2]);
    assert!(
        e.contains(&file) && e.contains("zip archive") && e.contains("cannot be read as a .npz"),
        "{e}"
    );
    let (e, file) = read_error(b"not a zip file at all");
    assert!(e.contains(&file) && e.contains("zip archive"), "{e}");
    // One flipped bit in the elements of data.npy: the CRC no longer matches.
    let mut corrupt = stored.clone();
    let (start, size) = member_span(&corrupt, "data.npy");
    corrupt[start + size - 3] ^= 0x10;
    let (e, file) = read_error(&corrupt);
    assert!(
        e.contains(&file) && e.contains("data.npy") && e.to_lowercase().contains("checksum"),
        "{e}"
    );
    // Garbage in the middle of a deflate stream.
    let mut corrupt = archive(&valid_members(), CompressionMethod::Deflated);
    let (start, size) = member_span(&corrupt, "data.npy");
    for byte in &mut corrupt[start + 2..start + size - 2] {
        *byte = 0xff;
    }
    let (e, file) = read_error(&corrupt);
    assert!(e.contains(&file) && e.contains("data.npy"), "{e}");
}

/// The MDP on the hand matrix, all in JSON, with `transitions` replaced by `transitions`.
fn document(transitions: &str) -> String {
    format!(
        r#"{{"format": "irl-mdp/1", "n_states": 3, "n_actions": 2, "transitions": {transitions},
            "terminal": [2], "features": {{"kind": "state", "names": ["x"], "values": [[0], [1], [2]]}}}}"#
    )
}

const ARRAYS: &str = r#"{"s": [0, 0, 0, 1, 1, 1, 2], "a": [0, 1, 1, 0, 1, 1, 0],
    "s_next": [1, 0, 2, 2, 0, 1, 2], "p": [1.0, 0.5, 0.5, 1.0, 0.25, 0.75, 1.0]}"#;

#[test]
fn a_document_referencing_npz_reads_as_the_all_json_one() {
    let expected = read_mdp(document(ARRAYS).as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("sub")).unwrap();
    fs::copy(fixture("compressed.npz"), dir.path().join("sub/t.npz")).unwrap();
    let json = dir.path().join("mdp.json");
    fs::write(&json, document(r#"{"npz": "sub/t.npz"}"#)).unwrap();
    assert_eq!(read_mdp_file(&json).unwrap(), expected);
    let absolute = dir.path().join("sub/t.npz");
    let text = document(&format!(r#"{{"npz": {:?}}}"#, absolute.to_str().unwrap()));
    assert_eq!(read_mdp(text.as_bytes()).unwrap(), expected);
}

#[test]
fn errors_behind_a_reference_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("mdp.json");
    fs::write(&json, document(r#"{"npz": "absent.npz"}"#)).unwrap();
    let e = read_mdp_file(&json).unwrap_err().to_string();
    let npz = dir.path().join("absent.npz");
    assert!(
        e.contains(&json.display().to_string()) && e.contains(&npz.display().to_string()),
        "{e}"
    );
    assert!(e.contains("transitions.npz"), "{e}");
    fs::copy(fixture("csc.npz"), dir.path().join("csc.npz")).unwrap();
    fs::write(&json, document(r#"{"npz": "csc.npz"}"#)).unwrap();
    let e = read_mdp_file(&json).unwrap_err().to_string();
    let npz = dir.path().join("csc.npz");
    assert!(
        e.contains(&json.display().to_string()) && e.contains(&npz.display().to_string()),
        "{e}"
    );
    assert!(e.contains("format.npy") && e.contains("'csc'"), "{e}");
    let both = document(&ARRAYS.replace('}', r#", "npz": "csc.npz"}"#));
    fs::write(&json, both).unwrap();
    let e = read_mdp_file(&json).unwrap_err().to_string();
    assert!(
        e.contains("invalid MDP at transitions:") && e.contains("both"),
        "{e}"
    );
}

fn small_mdp() -> Mdp {
    Mdp::new(MdpParts {
        transitions: hand_transitions(),
        initial: None,
        terminal: vec![2],
        features: Features::new(
            vec!["x".into()],
            FeatureTable::State(array![[0.0], [1.0], [2.0]]),
        )
        .unwrap(),
        action_names: None,
        grid: None,
    })
    .unwrap()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn json_and_npz_are_written_together_or_not_at_all() {
    let mdp = small_mdp();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("mdp.json");
    write_mdp_with_npz(&json, "transitions.npz", &mdp, NpzCompression::Deflated).unwrap();
    assert_eq!(listing(dir.path()), ["mdp.json", "transitions.npz"]);
    assert!(fs::read_to_string(&json)
        .unwrap()
        .contains(r#""transitions":{"npz":"transitions.npz"}"#));
    assert_eq!(read_mdp_file(&json).unwrap(), mdp);
    assert_eq!(
        read_transitions_npz(&dir.path().join("transitions.npz"), 3, 2).unwrap(),
        hand_transitions()
    );

    // The .npz cannot be renamed over a folder: no file of this call stays behind, and
    // the JSON already there is left as it was.
    let blocked = tempfile::tempdir().unwrap();
    let json = blocked.path().join("mdp.json");
    fs::write(&json, "old").unwrap();
    fs::create_dir(blocked.path().join("transitions.npz")).unwrap();
    let e = write_mdp_with_npz(&json, "transitions.npz", &mdp, NpzCompression::Stored).unwrap_err();
    assert!(e.to_string().contains("transitions.npz"), "{e}");
    assert_eq!(listing(blocked.path()), ["mdp.json", "transitions.npz"]);
    assert_eq!(fs::read_to_string(&json).unwrap(), "old");
    assert_eq!(
        fs::read_dir(blocked.path().join("transitions.npz"))
            .unwrap()
            .count(),
        0
    );

    let e = write_mdp_with_npz(
        &dir.path().join("other.json"),
        "sub/t.npz",
        &mdp,
        NpzCompression::Stored,
    );
    assert!(e.unwrap_err().to_string().contains("must be a file name"));
    let e = write_mdp_with_npz(
        &dir.path().join("x.json"),
        "x.json",
        &mdp,
        NpzCompression::Stored,
    );
    assert!(e.is_err());
    assert_eq!(listing(dir.path()), ["mdp.json", "transitions.npz"]);
}
