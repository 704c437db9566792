//! NumPy `.npy` arrays, the members of an `.npz` archive, read and written with `npyz`.
//!
//! A `.npy` array is a header (the magic string `\x93NUMPY`, a format version 1.0, 2.0 or
//! 3.0, and a Python dict literal with `descr`, `fortran_order` and `shape`) followed by
//! the elements. `descr` is the element type: byte order (`<` little-endian, `>`
//! big-endian, `|` not applicable), kind and size: `i4` int32, `i8` int64, `f4` float32,
//! `f8` float64, `S3` a 3-byte string, `U3` 3 UTF-32 characters. Elements follow in C
//! order (last index fastest), or Fortran order when `fortran_order` is true; the two
//! agree for 0-d and 1-D arrays.
//!
//! `npyz` parses and writes the headers and reads the 0-d strings. This module adds what
//! a SciPy CSR file needs on top: only its element types are accepted (1-D `<i4`/`<i8`
//! integers, `<f8` floats or `<f4` widened, 0-d `|Sn`/`<Un` strings; big-endian arrays
//! are refused, as the README states), every error names the member and says what was
//! expected, and when the container records the member's length, that length must be
//! what the header declares. A header may declare at most 1 MiB of text, since `npyz`
//! would allocate whatever length a corrupt file gives, and may hold at most two opening
//! brackets (its dict's and its shape's), since `npyz`'s parser of the dict literal
//! backtracks through nested brackets in time exponential in their depth: a header of a
//! hundred `{` would take hours. The numeric elements stream in
//! chunks of 64 KiB between the (zip member) stream and the caller's own types, so no
//! second copy of an array is held.
//!
//! The element loops are written here rather than taken from `npyz`, whose reader and
//! writer handle one element per call: on a 1000×1000 gridworld with 4 actions
//! (1.6·10^7 entries, opt-level 2, two shared cores) reading the deflated `.npz` with
//! validation took 0.88–0.92 s of CPU through `npyz`'s element iterator against
//! 0.48–0.58 s with the chunked loop (a profile puts 36 % of the read in the iterator's
//! calls against 6 % for the loop), and writing it stored 0.90–0.97 s against
//! 0.38–0.49 s; peak memory was the same (266 MB). Writing produces 1.0 headers, padded
//! so that the elements start at a multiple of 64 bytes.

use std::io::{self, BufReader, Read, Take, Write};

use npyz::{DType, Endianness, NpyFile, NpyHeader, Order, TypeChar, WriteOptions, WriterBuilder};

use crate::error::{Error, Result};

/// Bytes read from the stream at a time, and decoded or encoded per chunk.
const CHUNK_BYTES: usize = 1 << 16;

/// Bytes before the text of a 2.0 or 3.0 header: magic, version and a u32 length.
const PREAMBLE_BYTES: u64 = 12;

/// Longest header text accepted. NumPy's own are under a hundred bytes; `npyz` allocates
/// the declared length before reading it, up to 4 GiB for a 2.0 or 3.0 header.
const MAX_HEADER_BYTES: u32 = 1 << 20;

/// Most opening brackets of a header text: the dict's and the shape tuple's of the plain
/// arrays read here (a structured type, which is not read, has more).
const MAX_HEADER_BRACKETS: usize = 2;

/// Element types of the arrays read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    I32,
    I64,
    F32,
    F64,
    Text,
}

impl Element {
    /// The element type and its size in bytes, when `dtype` is one read here.
    fn of(dtype: &DType) -> Option<(Element, u64)> {
        let DType::Plain(ty) = dtype else {
            return None;
        };
        let element = match (ty.type_char(), ty.endianness(), ty.size_field()) {
            (TypeChar::Int, Endianness::Little, 4) => Element::I32,
            (TypeChar::Int, Endianness::Little, 8) => Element::I64,
            (TypeChar::Float, Endianness::Little, 4) => Element::F32,
            (TypeChar::Float, Endianness::Little, 8) => Element::F64,
            (TypeChar::ByteStr, Endianness::Irrelevant, _)
            | (TypeChar::UnicodeStr, Endianness::Little, _) => Element::Text,
            _ => return None,
        };
        Some((element, ty.num_bytes()? as u64))
    }
}

/// One `.npy` member opened for reading: its header is parsed, its elements follow.
pub(crate) struct NpyMember<R> {
    /// The member's bytes, limited to the length the container gives, buffered.
    reader: BufReader<Take<R>>,
    member: String,
    header: NpyHeader,
    /// Bytes after the header, when the container says how long the member is.
    data_bytes: Option<u64>,
}

impl<R: Read> NpyMember<R> {
    /// Parse the header of `member`; `stored_size`, the member's length in bytes when the
    /// container records it, must then match what the header declares.
    pub fn open(reader: R, member: &str, stored_size: Option<u64>) -> Result<Self> {
        let limited = reader.take(stored_size.unwrap_or(u64::MAX));
        let mut reader = BufReader::with_capacity(CHUNK_BYTES, limited);
        let bad = |what: String| Error::mdp(member, format!("is not a valid .npy array: {what}"));
        let mut start = Vec::new();
        (&mut reader)
            .take(PREAMBLE_BYTES)
            .read_to_end(&mut start)
            .map_err(|e| bad(e.to_string()))?;
        if let Some((text_start, text_len)) = header_text(&start).map_err(bad)? {
            let rest = (text_start as u64 + text_len).saturating_sub(start.len() as u64);
            (&mut reader)
                .take(rest)
                .read_to_end(&mut start)
                .map_err(|e| bad(e.to_string()))?;
            check_header_brackets(start.get(text_start..).unwrap_or_default()).map_err(bad)?;
        }
        let header = NpyHeader::from_reader(io::Cursor::new(&start).chain(&mut reader))
            .map_err(|e| bad(e.to_string()))?;
        if header.order() == Order::Fortran && header.shape().len() > 1 {
            return Err(Error::mdp(
                member,
                format!(
                    "is a {}-D array in Fortran (column-major) order; expected a 1-D array",
                    header.shape().len()
                ),
            ));
        }
        // What the limit has not let through yet, and what is buffered but not consumed.
        let data_bytes =
            stored_size.map(|_| reader.get_ref().limit() + reader.buffer().len() as u64);
        Ok(Self {
            reader,
            member: member.to_string(),
            header,
            data_bytes,
        })
    }

    /// The number of elements of a 1-D array.
    /// When the element type is one read here and the container gave the member's
    /// length, the header's element count is checked against it.
    pub fn vector_len(&self) -> Result<usize> {
        let len = match self.header.shape() {
            &[n] => {
                usize::try_from(n).map_err(|_| self.error(format!("{n} elements are too many")))?
            }
            shape => {
                return Err(self.error(format!(
                    "has shape {}, expected a 1-D array",
                    shape_text(shape)
                )))
            }
        };
        if let Some((_, size)) = Element::of(&self.header.dtype()) {
            self.check_data_bytes((len as u64).saturating_mul(size))?;
        }
        Ok(len)
    }

    /// Stream a 1-D `<i4` or `<i8` array: `each(k, value)` for k = 0, 1, ….
    pub fn read_integers(self, each: impl FnMut(usize, i64) -> Result<()>) -> Result<()> {
        let expected = "int32 '<i4' or int64 '<i8'";
        match self.element(expected)? {
            Element::I32 => self.stream(4, each, |b| i64::from(i32::from_le_bytes(bytes(b)))),
            Element::I64 => self.stream(8, each, |b| i64::from_le_bytes(bytes(b))),
            _ => Err(self.wrong_dtype(expected)),
        }
    }

    /// Stream a 1-D `<f8` array, or a `<f4` one widened: `each(k, value)` for k = 0, 1, ….
    pub fn read_floats(self, each: impl FnMut(usize, f64) -> Result<()>) -> Result<()> {
        let expected = "float64 '<f8' (or float32 '<f4')";
        match self.element(expected)? {
            Element::F64 => self.stream(8, each, |b| f64::from_le_bytes(bytes(b))),
            Element::F32 => self.stream(4, each, |b| f64::from(f32::from_le_bytes(bytes(b)))),
            _ => Err(self.wrong_dtype(expected)),
        }
    }

    /// Read a 0-d string (`|Sn` bytes or `<Un` UTF-32), without its trailing NULs.
    pub fn read_string(mut self) -> Result<String> {
        let expected = "a 0-d string such as b'csr' ('|S3')";
        if self.element(expected)? != Element::Text {
            return Err(self.wrong_dtype(expected));
        }
        if !self.header.shape().is_empty() {
            return Err(self.error(format!(
                "has shape {}, expected {expected}",
                shape_text(self.header.shape())
            )));
        }
        let size = Element::of(&self.header.dtype()).map_or(0, |(_, size)| size);
        self.check_data_bytes(size)?;
        let text = NpyFile::with_header(self.header.clone(), &mut self.reader)
            .data::<String>()
            .map_err(|e| Error::mdp(self.member.as_str(), e.to_string()))?
            .next()
            .transpose()
            .map_err(|e| self.error(format!("is cut short ({e})")))?
            .unwrap_or_default();
        self.expect_end()?;
        Ok(text)
    }

    fn element(&self, expected: &str) -> Result<Element> {
        Element::of(&self.header.dtype())
            .map(|(element, _)| element)
            .ok_or_else(|| self.wrong_dtype(expected))
    }

    fn wrong_dtype(&self, expected: &str) -> Error {
        let dtype = self.header.dtype();
        let order = match &dtype {
            DType::Plain(ty) if ty.endianness() == Endianness::Big => "is big-endian",
            _ => "is not supported",
        };
        let descr = dtype.descr();
        self.error(format!("dtype {descr} {order}; expected {expected}"))
    }

    fn error(&self, message: String) -> Error {
        Error::mdp(self.member.as_str(), message)
    }

    fn check_data_bytes(&self, expected: u64) -> Result<()> {
        match self.data_bytes {
            Some(found) if found != expected => Err(self.error(format!(
                "holds {found} bytes of elements, but its header declares shape {} of {}, \
                 which is {expected} bytes",
                shape_text(self.header.shape()),
                self.header.dtype().descr()
            ))),
            _ => Ok(()),
        }
    }

    /// Decode the `len` elements of `size` bytes of a 1-D array in chunks, then check
    /// that nothing follows.
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

    /// Nothing may be left in the buffer, and one more read of the stream itself, past
    /// any limit, must find its end: this also makes a zip reader check its CRC.
    fn expect_end(&mut self) -> Result<()> {
        let mut probe = [0u8; 1];
        let left = match self.reader.buffer().len() {
            0 => self.reader.get_mut().get_mut().read(&mut probe),
            buffered => Ok(buffered),
        };
        match left {
            Ok(0) => Ok(()),
            Ok(_) => Err(self.error(format!(
                "has bytes after the elements its header declares (shape {})",
                shape_text(self.header.shape())
            ))),
            Err(e) => Err(self.error(format!("cannot be read to its end ({e})"))),
        }
    }
}

/// Where the header text starts and how long it says it is, given the first
/// [`PREAMBLE_BYTES`] of the array (or all of a shorter one); `None` when they are not
/// the preamble of a version 1.0, 2.0 or 3.0 header, which `npyz` then reports. A 2.0 or
/// 3.0 header longer than [`MAX_HEADER_BYTES`] is refused.
fn header_text(start: &[u8]) -> std::result::Result<Option<(usize, u64)>, String> {
    match *start {
        [b'\x93', b'N', b'U', b'M', b'P', b'Y', 1, 0, a, b, ..] => {
            Ok(Some((10, u64::from(u16::from_le_bytes([a, b])))))
        }
        [b'\x93', b'N', b'U', b'M', b'P', b'Y', 2 | 3, 0, a, b, c, d] => {
            match u32::from_le_bytes([a, b, c, d]) {
                declared if declared > MAX_HEADER_BYTES => Err(format!(
                    "its header declares {declared} bytes; expected at most {MAX_HEADER_BYTES}"
                )),
                declared => Ok(Some((12, u64::from(declared)))),
            }
        }
        _ => Ok(None),
    }
}

/// Refuse a header text with more than [`MAX_HEADER_BRACKETS`] opening brackets, quoted
/// or not, before `npyz` parses it.
fn check_header_brackets(text: &[u8]) -> std::result::Result<(), String> {
    let brackets = text.iter().filter(|b| b"([{".contains(b)).count();
    if brackets > MAX_HEADER_BRACKETS {
        return Err(format!(
            "its header holds {brackets} opening brackets; expected at most \
             {MAX_HEADER_BRACKETS}, the dict's and the shape's of a plain array"
        ));
    }
    Ok(())
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

/// Write the version 1.0 header of a C-order array of `descr` (such as `<i4`) and
/// `shape`; the elements are to follow.
pub(crate) fn write_header(
    writer: &mut impl Write,
    descr: &str,
    shape: &[usize],
) -> io::Result<()> {
    let dtype = descr
        .parse()
        .map(DType::Plain)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let shape: Vec<u64> = shape.iter().map(|&n| n as u64).collect();
    WriteOptions::new_header_only()
        .dtype(dtype)
        .shape(&shape)
        .writer(writer)
        .write_header_only()?;
    Ok(())
}

/// Write a 1-D array: its header, then each value encoded by `encode` in chunks.
pub(crate) fn write_vector<T: Copy, const N: usize>(
    writer: &mut impl Write,
    descr: &str,
    values: &[T],
    encode: impl Fn(T) -> [u8; N],
) -> io::Result<()> {
    write_header(writer, descr, &[values.len()])?;
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

    #[test]
    fn headers_of_nested_brackets_are_refused_before_parsing() {
        for version in [1, 2] {
            let nested = npy(version, &"{".repeat(100), &[]);
            let Err(e) = NpyMember::open(nested.as_slice(), "m.npy", None) else {
                panic!("a header of 100 brackets was accepted");
            };
            assert!(e.to_string().contains("holds 100 opening brackets"), "{e}");
        }
        let plain = npy(1, &dict("<i8", false, "(1,)"), &7i64.to_le_bytes());
        assert_eq!(integers(&plain).unwrap(), [7]);
    }

    fn integers(data: &[u8]) -> Result<Vec<i64>> {
        let mut out = vec![];
        let size = Some(data.len() as u64);
        NpyMember::open(data, "m.npy", size)?.read_integers(|k, v| {
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
        // Double quotes, as some writers use them, and no trailing comma.
        let quoted = "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (3,)}";
        assert_eq!(integers(&npy(1, quoted, &i4)).unwrap(), [7, -2, 40]);
    }

    #[test]
    fn floats_widen_from_f4() {
        let f4: Vec<u8> = [0.25f32, 0.1]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let data = npy(1, &dict("<f4", false, "(2,)"), &f4);
        let mut out = vec![];
        let reader = NpyMember::open(&data[..], "d.npy", None).unwrap();
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
        let text = NpyMember::open(&s[..], "f.npy", Some(s.len() as u64)).unwrap();
        assert_eq!(text.read_string().unwrap(), "csr");
        // A 0-d array in Fortran order is the same layout too.
        let s = npy(1, &dict("|S3", true, "()"), b"csr");
        let text = NpyMember::open(&s[..], "f.npy", Some(s.len() as u64)).unwrap();
        assert_eq!(text.read_string().unwrap(), "csr");
        let utf32: Vec<u8> = "csc"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        let u = npy(1, &dict("<U3", false, "()"), &utf32);
        let text = NpyMember::open(&u[..], "f.npy", None).unwrap();
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
                npy(
                    1,
                    "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,)}",
                    &i4,
                ),
                "holds 4 opening brackets",
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
            (npy(4, &dict("<i4", false, "(1,)"), &i4), "version: (4, 0)"),
            (
                npy(1, "{'descr': '<i4'}", &i4),
                "missing key 'fortran_order'",
            ),
            (
                npy(1, "{'descr': '<i4', 'order': 'C'}", &i4),
                "missing key 'fortran_order'",
            ),
            (npy(1, &dict("<i4", false, "(-1,)"), &i4), "negative"),
            (
                npy(
                    1,
                    "{'descr': '<i4', 'fortran_order': false, 'shape': (1,)}",
                    &i4,
                ),
                "not a valid .npy array",
            ),
            (
                npy(1, &(dict("<i4", false, "(1,)") + " x"), &i4),
                "not a valid .npy array",
            ),
            (b"\x93NUMPX\x01\x00".to_vec(), "magic not found"),
            (b"\x93NUMPY\x01\x00".to_vec(), "not a valid .npy array"),
            (
                b"\x93NUMPY\x02\x00\x00\x00\x00\x80".to_vec(),
                "declares 2147483648 bytes",
            ),
        ];
        for (data, expected) in cases {
            let e = integers(&data).unwrap_err().to_string();
            assert!(
                e.contains("m.npy") && e.contains(expected),
                "{expected:?} not in {e:?}"
            );
        }
        let short = npy(1, &dict("<i4", false, "(2,)"), &i4);
        let reader = NpyMember::open(&short[..], "m.npy", None).unwrap();
        let e = reader.read_integers(|_, _| Ok(())).unwrap_err().to_string();
        assert!(e.contains("cannot read elements 0..2 of 2"), "{e}");
    }

    #[test]
    fn written_vectors_read_back() {
        let mut out = vec![];
        write_vector(&mut out, "<i8", &[3i64, -1, 5], i64::to_le_bytes).unwrap();
        assert_eq!((out.len() - 24) % 64, 0);
        assert!(out.starts_with(b"\x93NUMPY\x01\x00"));
        assert_eq!(integers(&out).unwrap(), [3, -1, 5]);
        let many: Vec<i32> = (0..100_000).collect();
        let mut out = vec![];
        write_vector(&mut out, "<i4", &many, i32::to_le_bytes).unwrap();
        let back = integers(&out).unwrap();
        assert!(back.len() == many.len() && back.iter().zip(&many).all(|(a, &b)| *a == b as i64));
        let mut out = vec![];
        write_header(&mut out, "|S3", &[]).unwrap();
        out.extend_from_slice(b"csr");
        assert!(out.ends_with(b" \ncsr") && out.len() % 64 == 3);
        let text = NpyMember::open(&out[..], "f.npy", Some(out.len() as u64)).unwrap();
        assert_eq!(text.read_string().unwrap(), "csr");
    }
}
