//! NumPy `.npy` arrays, the members of an `.npz` archive.
//!
//! A `.npy` array is a header (see [`header`]: format version, `descr`, `fortran_order`,
//! `shape`) followed by the elements. `descr` is the element type: byte order (`<`
//! little-endian, `>` big-endian, `|` not applicable), kind and size in bytes: `i4` int32,
//! `i8` int64, `f4` float32, `f8` float64, `S3` a 3-byte string, `U3` 3 UTF-32 characters.
//! Elements follow in C order (last index fastest), or Fortran order when `fortran_order`
//! is true; the two agree for 0-d and 1-D arrays.
//!
//! Reading covers what a SciPy CSR matrix holds: 1-D little-endian integers (`<i4`,
//! `<i8`) and floats (`<f4` widened, `<f8`), streamed element by element into the
//! caller's own types, and 0-d strings (`|Sn`, `<Un`). Writing produces 1.0 headers.

mod header;

use std::io::{self, Read, Write};

pub(crate) use header::encode as encode_header;

use crate::error::{Error, Result};

/// Bytes decoded per read while streaming elements.
const CHUNK_BYTES: usize = 1 << 16;

/// Element types of the arrays read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    I32,
    I64,
    F32,
    F64,
    Bytes(usize),
    Utf32(usize),
}

impl Dtype {
    fn parse(descr: &str) -> Option<Self> {
        let width = |prefix: &str| descr.strip_prefix(prefix)?.parse::<usize>().ok();
        match descr {
            "<i4" => Some(Dtype::I32),
            "<i8" => Some(Dtype::I64),
            "<f4" => Some(Dtype::F32),
            "<f8" => Some(Dtype::F64),
            _ => width("|S")
                .map(Dtype::Bytes)
                .or_else(|| width("<U").map(Dtype::Utf32)),
        }
    }

    fn size(self) -> usize {
        match self {
            Dtype::I32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::F64 => 8,
            Dtype::Bytes(n) => n,
            Dtype::Utf32(n) => 4 * n,
        }
    }
}

/// One `.npy` member opened for reading: its header is parsed, its elements follow.
pub(crate) struct NpyReader<R> {
    reader: R,
    member: String,
    descr: String,
    shape: Vec<u64>,
    /// Bytes after the header, when the container says how long the member is.
    data_bytes: Option<u64>,
}

impl<R: Read> NpyReader<R> {
    /// Parse the header of `member`; `stored_size`, the member's length in bytes when the
    /// container records it, must then match what the header declares.
    pub fn open(mut reader: R, member: &str, stored_size: Option<u64>) -> Result<Self> {
        let bad = |what: String| Error::mdp(member, format!("is not a valid .npy array: {what}"));
        let header = header::read(&mut reader).map_err(bad)?;
        if header.fortran_order && header.shape.len() > 1 {
            return Err(Error::mdp(
                member,
                format!(
                    "is a {}-D array in Fortran (column-major) order; expected a 1-D array",
                    header.shape.len()
                ),
            ));
        }
        let data_bytes = stored_size
            .map(|size| size.checked_sub(header.len))
            .map(|rest| rest.ok_or_else(|| bad("the member is shorter than its header".into())))
            .transpose()?;
        Ok(Self {
            reader,
            member: member.to_string(),
            descr: header.descr,
            shape: header.shape,
            data_bytes,
        })
    }

    /// The number of elements of a 1-D array.
    /// When the element type is one read here and the container gave the member's
    /// length, the header's element count is checked against it.
    pub fn vector_len(&self) -> Result<usize> {
        let len = match self.shape[..] {
            [n] => {
                usize::try_from(n).map_err(|_| self.error(format!("{n} elements are too many")))?
            }
            _ => {
                return Err(self.error(format!(
                    "has shape {}, expected a 1-D array",
                    shape_text(&self.shape)
                )))
            }
        };
        if let Some(dtype) = Dtype::parse(&self.descr) {
            let bytes = (len as u64).checked_mul(dtype.size() as u64);
            self.check_data_bytes(bytes.unwrap_or(u64::MAX))?;
        }
        Ok(len)
    }

    /// Stream a 1-D `<i4` or `<i8` array: `each(k, value)` for k = 0, 1, ….
    pub fn read_integers(self, each: impl FnMut(usize, i64) -> Result<()>) -> Result<()> {
        let expected = "int32 '<i4' or int64 '<i8'";
        match self.dtype(expected)? {
            Dtype::I32 => self.stream(4, each, |b| i32::from_le_bytes(bytes(b)) as i64),
            Dtype::I64 => self.stream(8, each, |b| i64::from_le_bytes(bytes(b))),
            _ => Err(self.wrong_dtype(expected)),
        }
    }

    /// Stream a 1-D `<f8` array, or a `<f4` one widened: `each(k, value)` for k = 0, 1, ….
    pub fn read_floats(self, each: impl FnMut(usize, f64) -> Result<()>) -> Result<()> {
        let expected = "float64 '<f8' (or float32 '<f4')";
        match self.dtype(expected)? {
            Dtype::F64 => self.stream(8, each, |b| f64::from_le_bytes(bytes(b))),
            Dtype::F32 => self.stream(4, each, |b| f32::from_le_bytes(bytes(b)) as f64),
            _ => Err(self.wrong_dtype(expected)),
        }
    }

    /// Read a 0-d string (`|Sn` bytes or `<Un` UTF-32), without its trailing NULs.
    pub fn read_string(mut self) -> Result<String> {
        let expected = "a 0-d string such as b'csr' ('|S3')";
        let dtype = self.dtype(expected)?;
        if !matches!(dtype, Dtype::Bytes(_) | Dtype::Utf32(_)) {
            return Err(self.wrong_dtype(expected));
        }
        if !self.shape.is_empty() {
            return Err(self.error(format!(
                "has shape {}, expected {expected}",
                shape_text(&self.shape)
            )));
        }
        self.check_data_bytes(dtype.size() as u64)?;
        let mut raw = vec![0u8; dtype.size()];
        self.reader
            .read_exact(&mut raw)
            .map_err(|e| self.error(format!("is cut short ({e})")))?;
        self.expect_end()?;
        let text = match dtype {
            Dtype::Utf32(_) => raw
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_le_bytes(bytes(c))).unwrap_or('\u{fffd}'))
                .collect(),
            _ => raw.iter().map(|&b| char::from(b)).collect::<String>(),
        };
        Ok(text.trim_end_matches('\0').to_string())
    }

    fn dtype(&self, expected: &str) -> Result<Dtype> {
        Dtype::parse(&self.descr).ok_or_else(|| self.wrong_dtype(expected))
    }

    fn wrong_dtype(&self, expected: &str) -> Error {
        let order = if self.descr.starts_with('>') {
            "is big-endian"
        } else {
            "is not supported"
        };
        self.error(format!(
            "dtype '{}' {order}; expected {expected}",
            self.descr
        ))
    }

    fn error(&self, message: String) -> Error {
        Error::mdp(self.member.as_str(), message)
    }

    fn check_data_bytes(&self, expected: u64) -> Result<()> {
        match self.data_bytes {
            Some(found) if found != expected => Err(self.error(format!(
                "holds {found} bytes of elements, but its header declares shape {} of '{}', \
                 which is {expected} bytes",
                shape_text(&self.shape),
                self.descr
            ))),
            _ => Ok(()),
        }
    }

    /// Decode `len` elements of `size` bytes in chunks, then check that nothing follows.
    fn stream<T>(
        mut self,
        size: usize,
        mut each: impl FnMut(usize, T) -> Result<()>,
        decode: impl Fn(&[u8]) -> T,
    ) -> Result<()> {
        let len = self.vector_len()?;
        let mut buffer = vec![0u8; CHUNK_BYTES / size * size];
        let mut done = 0;
        while done < len {
            let count = (len - done).min(buffer.len() / size);
            let chunk = &mut buffer[..count * size];
            if let Err(e) = self.reader.read_exact(chunk) {
                return Err(self.error(format!(
                    "cannot read elements {done}..{} of {len} ({e})",
                    done + count
                )));
            }
            for (j, item) in chunk.chunks_exact(size).enumerate() {
                each(done + j, decode(item))?;
            }
            done += count;
        }
        self.expect_end()
    }

    /// One more read must find the end: this also makes a zip reader check its CRC.
    fn expect_end(&mut self) -> Result<()> {
        let mut probe = [0u8; 1];
        match self.reader.read(&mut probe) {
            Ok(0) => Ok(()),
            Ok(_) => Err(self.error(format!(
                "has bytes after the elements its header declares (shape {})",
                shape_text(&self.shape)
            ))),
            Err(e) => Err(self.error(format!("cannot be read to its end ({e})"))),
        }
    }
}

fn bytes<const N: usize>(b: &[u8]) -> [u8; N] {
    b.try_into()
        .expect("chunks_exact gives slices of the element size")
}

fn shape_text(shape: &[u64]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(u64::to_string).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// Write a 1-D array: its header, then each value encoded by `encode` in chunks.
pub(crate) fn write_vector<T: Copy, const N: usize>(
    writer: &mut impl Write,
    descr: &str,
    values: &[T],
    encode: impl Fn(T) -> [u8; N],
) -> io::Result<()> {
    writer.write_all(&encode_header(descr, &[values.len()]))?;
    let mut buffer = Vec::with_capacity(CHUNK_BYTES);
    for chunk in values.chunks(CHUNK_BYTES / N) {
        buffer.clear();
        buffer.extend(chunk.iter().flat_map(|&v| encode(v)));
        writer.write_all(&buffer)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.npy` array as NumPy lays it out, built by hand (header not padded).
    fn npy(version: u8, dict: &str, elements: &[u8]) -> Vec<u8> {
        let mut out = b"\x93NUMPY".to_vec();
        out.extend_from_slice(&[version, 0]);
        let text = format!("{dict}\n");
        if version == 1 {
            out.extend_from_slice(&(text.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(text.as_bytes());
        out.extend_from_slice(elements);
        out
    }

    fn dict(descr: &str, fortran: bool, shape: &str) -> String {
        let fortran = if fortran { "True" } else { "False" };
        format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}")
    }

    fn integers(data: &[u8]) -> Result<Vec<i64>> {
        let mut out = vec![];
        let size = Some(data.len() as u64);
        NpyReader::open(data, "m.npy", size)?.read_integers(|k, v| {
            assert_eq!(k, out.len());
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_each_version_and_integer_width() {
        let i4: Vec<u8> = [7i32, -2, 40]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let i8: Vec<u8> = [7i64, -2, 1 << 40]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let (d4, d8) = (dict("<i4", false, "(3,)"), dict("<i8", false, "(3,)"));
        assert_eq!(integers(&npy(1, &d4, &i4)).unwrap(), [7, -2, 40]);
        assert_eq!(integers(&npy(2, &d8, &i8)).unwrap(), [7, -2, 1 << 40]);
        assert_eq!(integers(&npy(3, &d8, &i8)).unwrap(), [7, -2, 1 << 40]);
        // Fortran order is the same layout for a 1-D array.
        assert_eq!(
            integers(&npy(1, &dict("<i4", true, "(3,)"), &i4)).unwrap(),
            [7, -2, 40]
        );
    }

    #[test]
    fn floats_widen_from_f4() {
        let f4: Vec<u8> = [0.25f32, 0.1]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let data = npy(1, &dict("<f4", false, "(2,)"), &f4);
        let mut out = vec![];
        let reader = NpyReader::open(&data[..], "d.npy", None).unwrap();
        reader
            .read_floats(|_, v| {
                out.push(v);
                Ok(())
            })
            .unwrap();
        assert_eq!(out, [0.25, 0.1f32 as f64]);
    }

    #[test]
    fn strings_lose_trailing_nuls() {
        let s = npy(1, &dict("|S5", false, "()"), b"csr\0\0");
        let text = NpyReader::open(&s[..], "f.npy", Some(s.len() as u64)).unwrap();
        assert_eq!(text.read_string().unwrap(), "csr");
        let utf32: Vec<u8> = "csc"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        let u = npy(1, &dict("<U3", false, "()"), &utf32);
        let text = NpyReader::open(&u[..], "f.npy", None).unwrap();
        assert_eq!(text.read_string().unwrap(), "csc");
    }

    #[test]
    fn bad_arrays_are_named() {
        let i4 = [1u8, 0, 0, 0];
        let cases = [
            (
                npy(1, &dict(">i4", false, "(1,)"), &i4),
                "'>i4' is big-endian",
            ),
            (
                npy(1, &dict("<u2", false, "(2,)"), &i4),
                "'<u2' is not supported",
            ),
            (
                npy(1, &dict("<i4", true, "(1, 1)"), &i4),
                "2-D array in Fortran",
            ),
            (
                npy(1, &dict("<i4", false, "(1, 1)"), &i4),
                "expected a 1-D array",
            ),
            (npy(1, &dict("<i4", false, "(2,)"), &i4), "holds 4 bytes"),
            (
                npy(1, &dict("<i4", false, "(1,)"), &[1, 0, 0, 0, 9]),
                "holds 5 bytes",
            ),
            (npy(4, &dict("<i4", false, "(1,)"), &i4), "version 4.0"),
            (npy(1, "{'descr': '<i4'}", &i4), "no 'fortran_order'"),
            (b"\x93NUMPX\x01\x00".to_vec(), "\\x93NUMPY"),
        ];
        for (data, expected) in cases {
            let e = integers(&data).unwrap_err().to_string();
            assert!(
                e.contains("m.npy") && e.contains(expected),
                "{expected:?} not in {e:?}"
            );
        }
        let short = npy(1, &dict("<i4", false, "(2,)"), &i4);
        let reader = NpyReader::open(&short[..], "m.npy", None).unwrap();
        let e = reader.read_integers(|_, _| Ok(())).unwrap_err().to_string();
        assert!(e.contains("cannot read elements 0..2 of 2"), "{e}");
    }

    #[test]
    fn written_vectors_read_back() {
        let mut out = vec![];
        write_vector(&mut out, "<i8", &[3i64, -1, 5], i64::to_le_bytes).unwrap();
        assert_eq!((out.len() - 24) % 64, 0);
        assert_eq!(integers(&out).unwrap(), [3, -1, 5]);
        let many: Vec<i32> = (0..100_000).collect();
        let mut out = vec![];
        write_vector(&mut out, "<i4", &many, i32::to_le_bytes).unwrap();
        let back = integers(&out).unwrap();
        assert!(back.len() == many.len() && back.iter().zip(&many).all(|(a, &b)| *a == b as i64));
    }
}
