//! A snapshot file's columns decoded straight from its Parquet pages, without
//! polars' arrow arrays: texts stay in one buffer per row group with the end
//! of each value, numbers, dates and flags become plain vectors. The files
//! this crate writes use PLAIN and dictionary pages (`table::TableBuilder`);
//! older snapshots, written by polars' own writer, use the same encodings in
//! pages of format version 1 or 2, under any codec polars reads, and are
//! read the same way. Anything else (nested columns, other encodings) is an
//! error naming the column.
//!
//! Encodings: <https://parquet.apache.org/docs/file-format/data-pages/encodings/>.

use std::io::Cursor;

use polars::prelude::DataType;
use polars_buffer::Buffer;
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::metadata::ColumnChunkMetadata;
use polars_parquet::parquet::page::{split_buffer, DataPage, DictPage};
use polars_parquet::parquet::read::{get_page_iterator, read_metadata, BasicDecompressor};
use polars_parquet::parquet::schema::types::PhysicalType;
use rayon::prelude::*;

/// The largest page read (compressed or not): far beyond the snapshot's
/// row groups of 2^17 rows, and a damaged header cannot make the reader
/// allocate more.
const MAX_PAGE: usize = 1 << 31;

/// A row group's texts are at most 4 GiB (their ends are `u32`s).
const TOO_LONG: &str = "a row group's texts exceed 4 GiB";

/// One column of a file, all its row groups in order.
pub struct Column {
    pub name: String,
    /// polars' type of the column, as the file's schema declares it.
    pub dtype: DataType,
    pub values: Values,
    /// Whether each row has a value; `None` when every row has one.
    pub defined: Option<Vec<bool>>,
}

/// A column chunk's values and, where some row has none, which rows have
/// one.
type ChunkValues = (Values, Option<Vec<bool>>);

/// A column's values, one per row (a row without a value holds zero, false
/// or the empty text).
pub enum Values {
    /// BYTE_ARRAY: one chunk per row group.
    Text(Vec<TextChunk>),
    Int64(Vec<i64>),
    Int32(Vec<i32>),
    Boolean(Vec<bool>),
    /// A physical type the snapshot never stores (floats, fixed-length
    /// bytes): not decoded, only its type is reported.
    Other,
}

/// The texts of one row group: distinct entries' bytes one after another
/// with where each ends, and, for a dictionary-encoded chunk, each row's
/// entry (else row `r` is entry `r`). Checked to be UTF-8, each entry on
/// character boundaries.
pub struct TextChunk {
    text: String,
    ends: Vec<u32>,
    keys: Option<Vec<u32>>,
}

impl TextChunk {
    /// Rows in the chunk.
    pub fn len(&self) -> usize {
        self.keys.as_ref().map_or(self.ends.len(), Vec::len)
    }

    /// The text of row `row` (below `len`).
    pub fn get(&self, row: usize) -> &str {
        self.entry(self.keys.as_ref().map_or(row, |keys| keys[row] as usize))
    }

    /// The distinct entries and, for a dictionary-encoded chunk, each row's
    /// entry.
    pub fn entries(&self) -> (impl ExactSizeIterator<Item = &str>, Option<&[u32]>) {
        ((0..self.ends.len()).map(|at| self.entry(at)), self.keys.as_deref())
    }

    fn entry(&self, at: usize) -> &str {
        let (start, end) = span(&self.ends, at);
        &self.text[start..end]
    }
}

/// A file's rows and columns from its bytes. The column chunks are decoded in parallel.
///
/// # Errors
/// A message saying what is wrong, naming the column where there is one.
pub fn read(bytes: Vec<u8>) -> Result<(usize, Vec<Column>), String> {
    let data: Buffer<u8> = bytes.into();
    let metadata =
        read_metadata(&mut Cursor::new(data.clone())).map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let schema = polars_parquet::arrow::read::infer_schema(&metadata).map_err(|e| format!("unreadable schema: {e}"))?;
    let leaves = metadata.schema_descr.columns();
    if schema.len() != leaves.len() {
        return Err("nested columns: the snapshot's tables are flat".into());
    }
    let names: Vec<String> = schema.iter().map(|(name, _)| name.to_string()).collect();
    let groups = &metadata.row_groups;
    let chunks: Vec<Result<ChunkValues, String>> = (0..leaves.len() * groups.len())
        .into_par_iter()
        // A buffer for decompressed pages per task, reused from one chunk
        // to the next (fresh memory for every chunk is zeroed by the kernel).
        .map_init(Vec::new, |buffer, i| {
            let (column, group) = (i / groups.len(), i % groups.len());
            let name = &names[column];
            let chunk = groups[group]
                .parquet_columns()
                .get(column)
                .ok_or_else(|| format!("row group {} has no column `{name}`", group + 1))?;
            read_chunk(chunk, &data, groups[group].num_rows(), buffer)
                .map_err(|e| format!("column `{name}`, row group {}: {e}", group + 1))
        })
        .collect();
    let mut chunks = chunks.into_iter();
    let mut columns = Vec::with_capacity(leaves.len());
    for (name, field) in schema.iter() {
        let mut parts = Vec::with_capacity(groups.len());
        let mut defined: Option<Vec<bool>> = None;
        let mut rows = 0;
        for group in groups {
            let (part, part_defined) = chunks.next().ok_or("a column chunk is missing")??;
            append_defined(&mut defined, part_defined, rows, group.num_rows());
            parts.push(part);
            rows += group.num_rows();
        }
        let dtype = DataType::from_arrow_field(field);
        columns.push(Column { name: name.to_string(), values: concat(parts, &dtype), dtype, defined });
    }
    Ok((metadata.num_rows, columns))
}

/// A column's row groups' values one after another (a column of `dtype`
/// without row groups has none).
fn concat(parts: Vec<Values>, dtype: &DataType) -> Values {
    fn join<T: Copy>(parts: &[Values], part: impl Fn(&Values) -> Option<&Vec<T>>) -> Option<Vec<T>> {
        let mut all = Vec::with_capacity(parts.iter().filter_map(&part).map(Vec::len).sum());
        for values in parts {
            all.extend_from_slice(part(values)?);
        }
        Some(all)
    }
    let joined = match parts.first() {
        Some(Values::Text(_)) => {
            let mut texts = Vec::with_capacity(parts.len());
            for part in parts {
                match part {
                    Values::Text(chunks) => texts.extend(chunks),
                    _ => return Values::Other,
                }
            }
            Some(Values::Text(texts))
        }
        Some(Values::Int64(_)) => {
            join(&parts, |v| if let Values::Int64(v) = v { Some(v) } else { None }).map(Values::Int64)
        }
        Some(Values::Int32(_)) => {
            join(&parts, |v| if let Values::Int32(v) = v { Some(v) } else { None }).map(Values::Int32)
        }
        Some(Values::Boolean(_)) => {
            join(&parts, |v| if let Values::Boolean(v) = v { Some(v) } else { None }).map(Values::Boolean)
        }
        Some(Values::Other) => None,
        None => Some(match dtype {
            DataType::String => Values::Text(Vec::new()),
            DataType::Int64 | DataType::UInt64 => Values::Int64(Vec::new()),
            DataType::Int32 | DataType::UInt32 | DataType::Date => Values::Int32(Vec::new()),
            DataType::Boolean => Values::Boolean(Vec::new()),
            _ => Values::Other,
        }),
    };
    joined.unwrap_or(Values::Other)
}

/// Adds a row group's `chunk` of defined flags (`None`: all defined) for its
/// `len` rows after the `before` rows seen so far.
fn append_defined(defined: &mut Option<Vec<bool>>, chunk: Option<Vec<bool>>, before: usize, len: usize) {
    match (defined.as_mut(), chunk) {
        (None, None) => {}
        (Some(all), None) => all.resize(before + len, true),
        (None, Some(chunk)) => {
            let mut all = vec![true; before];
            all.extend(chunk);
            *defined = Some(all);
        }
        (Some(all), Some(chunk)) => all.extend(chunk),
    }
}

/// One column chunk of `rows` rows: its values and (where some row has
/// none) which rows have one. `buffer` holds the decompressed pages.
fn read_chunk(
    chunk: &ColumnChunkMetadata,
    data: &Buffer<u8>,
    rows: usize,
    buffer: &mut Vec<u8>,
) -> Result<ChunkValues, String> {
    let descriptor = &chunk.descriptor().descriptor;
    if descriptor.max_rep_level > 0 || descriptor.max_def_level > 1 {
        return Err("a nested column: the snapshot's tables are flat".into());
    }
    let physical = descriptor.primitive_type.physical_type;
    if !matches!(physical, PhysicalType::ByteArray | PhysicalType::Int64 | PhysicalType::Int32 | PhysicalType::Boolean)
    {
        return Ok((Values::Other, None));
    }
    let pages = get_page_iterator(chunk, Cursor::new(data.clone()), Vec::new(), MAX_PAGE).map_err(|e| e.to_string())?;
    let mut pages = BasicDecompressor::new(pages, std::mem::take(buffer));
    let dictionary = match pages.read_dict_page().map_err(|e| e.to_string())? {
        Some(page) => Some(dictionary(&page, physical)?),
        None => None,
    };
    // Room for the rows the footer declares, within reason: a damaged
    // footer must not make the reader allocate without bound.
    let room = rows.min(1 << 20);
    let mut values = Decoded::new(physical, room);
    let mut defined: Vec<bool> = Vec::with_capacity(room);
    let mut all_defined = true;
    while let Some(page) = pages.next() {
        let page = page.map_err(|e| e.to_string())?.decompress(&mut pages).map_err(|e| e.to_string())?;
        if page.num_values() > rows - defined.len() {
            return Err(format!("a page of {} values beyond the row group's {rows} rows", page.num_values()));
        }
        let count = decode_page(&page, descriptor.max_def_level, dictionary.as_ref(), &mut values, &mut defined)?;
        all_defined &= count == page.num_values();
        pages.reuse_page_buffer(page);
    }
    *buffer = pages.into_inner();
    if defined.len() != rows {
        return Err(format!("{} values, expected {rows}", defined.len()));
    }
    Ok((values.into_values(&defined)?, (!all_defined).then_some(defined)))
}

/// A column chunk's defined values as they are decoded (a page at a time).
enum Decoded {
    /// The texts' bytes, where each ends, and for dictionary-encoded
    /// pages the dictionary entry of each value.
    Text {
        bytes: Vec<u8>,
        ends: Vec<u32>,
        keys: Option<Vec<u32>>,
    },
    Int64(Vec<i64>),
    Int32(Vec<i32>),
    Boolean(Vec<bool>),
}

impl Decoded {
    fn new(physical: PhysicalType, rows: usize) -> Self {
        match physical {
            PhysicalType::ByteArray => Decoded::Text { bytes: Vec::new(), ends: Vec::with_capacity(rows), keys: None },
            PhysicalType::Int64 => Decoded::Int64(Vec::with_capacity(rows)),
            PhysicalType::Int32 => Decoded::Int32(Vec::with_capacity(rows)),
            _ => Decoded::Boolean(Vec::with_capacity(rows)),
        }
    }

    fn len(&self) -> usize {
        match self {
            Decoded::Text { keys: Some(keys), .. } => keys.len(),
            Decoded::Text { ends, .. } => ends.len(),
            Decoded::Int64(v) => v.len(),
            Decoded::Int32(v) => v.len(),
            Decoded::Boolean(v) => v.len(),
        }
    }

    /// Texts given as dictionary keys become plain texts (a PLAIN page after
    /// dictionary pages: a writer whose dictionary grew too large).
    fn unkey(&mut self) -> Result<(), String> {
        if let Decoded::Text { bytes, ends, keys } = self {
            if let Some(keys) = keys.take() {
                let mut plain = (Vec::with_capacity(bytes.len()), Vec::with_capacity(keys.len()));
                for &key in &keys {
                    let (start, end) = span(ends, key as usize);
                    plain.0.extend_from_slice(&bytes[start..end]);
                    plain.1.push(u32::try_from(plain.0.len()).map_err(|_| TOO_LONG)?);
                }
                (*bytes, *ends) = plain;
            }
        }
        Ok(())
    }

    /// Adds `count` values given as `keys` into `dictionary` (of the same
    /// type). Texts keep the keys while every page so far used them.
    fn push_keys(&mut self, dictionary: &Decoded, keys: Vec<u32>) -> Result<(), String> {
        let entries = dictionary.len();
        if let Some(&key) = keys.iter().find(|&&key| key as usize >= entries) {
            return Err(format!("dictionary index {key} beyond the dictionary's {entries} values"));
        }
        match (self, dictionary) {
            (Decoded::Text { bytes, ends, keys: kept }, Decoded::Text { bytes: words, ends: word_ends, .. }) => {
                match kept {
                    Some(kept) => kept.extend(keys),
                    None if ends.is_empty() => {
                        (*bytes, *ends) = (words.clone(), word_ends.clone());
                        *kept = Some(keys);
                    }
                    None => {
                        for &key in &keys {
                            let (start, end) = span(word_ends, key as usize);
                            bytes.extend_from_slice(&words[start..end]);
                            ends.push(u32::try_from(bytes.len()).map_err(|_| TOO_LONG)?);
                        }
                    }
                }
            }
            (Decoded::Int64(v), Decoded::Int64(d)) => v.extend(keys.iter().map(|&key| d[key as usize])),
            (Decoded::Int32(v), Decoded::Int32(d)) => v.extend(keys.iter().map(|&key| d[key as usize])),
            (Decoded::Boolean(v), Decoded::Boolean(d)) => v.extend(keys.iter().map(|&key| d[key as usize])),
            _ => return Err("a dictionary of another type".into()),
        }
        Ok(())
    }

    /// Adds `count` PLAIN-encoded values from `bytes`.
    fn push_plain(&mut self, mut bytes: &[u8], count: usize) -> Result<(), String> {
        let short = || format!("the page ends before its {count} values");
        self.unkey()?;
        match self {
            Decoded::Text { bytes: texts, ends, .. } => {
                // The values' bytes are fewer than the page's: reserved at
                // once, not grown by doubling into fresh memory.
                texts.reserve(bytes.len().saturating_sub(4 * count));
                ends.reserve(count);
                for _ in 0..count {
                    let (length, rest) = bytes.split_first_chunk::<4>().ok_or_else(short)?;
                    let length = u32::from_le_bytes(*length) as usize;
                    texts.extend_from_slice(rest.get(..length).ok_or_else(short)?);
                    ends.push(u32::try_from(texts.len()).map_err(|_| TOO_LONG)?);
                    bytes = &rest[length..];
                }
            }
            Decoded::Int64(v) => {
                let bytes = bytes.get(..count * 8).ok_or_else(short)?;
                v.extend(bytes.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap_or_default())));
            }
            Decoded::Int32(v) => {
                let bytes = bytes.get(..count * 4).ok_or_else(short)?;
                v.extend(bytes.chunks_exact(4).map(|b| i32::from_le_bytes(b.try_into().unwrap_or_default())));
            }
            Decoded::Boolean(v) => {
                let bytes = bytes.get(..count.div_ceil(8)).ok_or_else(short)?;
                v.extend((0..count).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1));
            }
        }
        Ok(())
    }

    /// The chunk's values spread over its rows: row `r` has a value where
    /// `defined[r]`, the next one in order.
    ///
    /// # Errors
    /// When the texts are not UTF-8, each value on character boundaries.
    fn into_values(self, defined: &[bool]) -> Result<Values, String> {
        fn spread<T: Copy + Default>(values: Vec<T>, defined: &[bool]) -> Vec<T> {
            if values.len() == defined.len() {
                return values;
            }
            let mut next = values.into_iter();
            defined.iter().map(|&d| if d { next.next().unwrap_or_default() } else { T::default() }).collect()
        }
        Ok(match self {
            Decoded::Text { bytes, mut ends, keys } => {
                let text = utf8(bytes, &ends)?;
                let keys = match keys {
                    // A row without a value is the empty text: an entry of
                    // its own after the dictionary's.
                    Some(keys) if keys.len() != defined.len() => {
                        let empty = ends.len() as u32;
                        ends.push(ends.last().copied().unwrap_or(0));
                        let mut next = keys.into_iter();
                        Some(defined.iter().map(|&d| if d { next.next().unwrap_or(empty) } else { empty }).collect())
                    }
                    Some(keys) => Some(keys),
                    None => {
                        if ends.len() != defined.len() {
                            let mut next = ends.into_iter();
                            let mut last = 0;
                            ends = defined
                                .iter()
                                .map(|&d| {
                                    if d {
                                        last = next.next().unwrap_or(last);
                                    }
                                    last
                                })
                                .collect();
                        }
                        None
                    }
                };
                Values::Text(vec![TextChunk { text, ends, keys }])
            }
            Decoded::Int64(v) => Values::Int64(spread(v, defined)),
            Decoded::Int32(v) => Values::Int32(spread(v, defined)),
            Decoded::Boolean(v) => Values::Boolean(spread(v, defined)),
        })
    }
}

/// Where entry `at` of texts ending at `ends` starts and ends.
fn span(ends: &[u32], at: usize) -> (usize, usize) {
    (if at == 0 { 0 } else { ends[at - 1] as usize }, ends[at] as usize)
}

/// A dictionary page's values (PLAIN-encoded).
fn dictionary(page: &DictPage, physical: PhysicalType) -> Result<Decoded, String> {
    // Every value takes at least a bit: the room reserved is bounded by
    // the page, whatever its header claims.
    let mut values = Decoded::new(physical, page.num_values.min(page.buffer.len()));
    values.push_plain(&page.buffer, page.num_values).map_err(|e| format!("dictionary page: {e}"))?;
    Ok(values)
}

/// Texts' bytes as a `String`, each value ending at `ends`: an error unless
/// they are UTF-8 and every end is on a character boundary.
fn utf8(bytes: Vec<u8>, ends: &[u32]) -> Result<String, String> {
    let text = String::from_utf8(bytes).map_err(|e| format!("a text that is not UTF-8: {}", e.utf8_error()))?;
    if !text.is_ascii() && !ends.iter().all(|&end| text.is_char_boundary(end as usize)) {
        return Err("a text that is not UTF-8 (a value ends inside a character)".into());
    }
    Ok(text)
}

/// Decodes one data page into `values` and `defined` (a flag per row);
/// returns how many of its rows have a value.
fn decode_page(
    page: &DataPage,
    max_def_level: i16,
    dictionary: Option<&Decoded>,
    values: &mut Decoded,
    defined: &mut Vec<bool>,
) -> Result<usize, String> {
    let rows = page.num_values();
    let split = split_buffer(page).map_err(|e| e.to_string())?;
    let before = defined.len();
    if max_def_level == 0 {
        defined.resize(before + rows, true);
    } else {
        defined.reserve(rows);
        hybrid_rle(split.def, 1, rows, |level, n| defined.resize(defined.len() + n, level == 1))
            .map_err(|e| format!("definition levels: {e}"))?;
    }
    let count = defined[before..].iter().filter(|&&d| d).count();
    match (page.encoding(), dictionary) {
        (Encoding::Plain, _) => values.push_plain(split.values, count)?,
        (Encoding::Rle, _) if matches!(values, Decoded::Boolean(_)) => {
            let (_, runs) = split.values.split_first_chunk::<4>().ok_or("a boolean page without its length")?;
            let mut flags = Vec::with_capacity(count);
            hybrid_rle(runs, 1, count, |bit, n| flags.resize(flags.len() + n, bit == 1))?;
            if let Decoded::Boolean(v) = values {
                v.extend(flags);
            }
        }
        (Encoding::RleDictionary | Encoding::PlainDictionary, Some(dictionary)) => {
            let (&width, indices) = split.values.split_first().ok_or("a dictionary page without its bit width")?;
            let mut keys = Vec::with_capacity(count);
            hybrid_rle(indices, u32::from(width), count, |key, n| keys.resize(keys.len() + n, key))?;
            values.push_keys(dictionary, keys)?;
        }
        (Encoding::RleDictionary | Encoding::PlainDictionary, None) => {
            return Err("dictionary indices without a dictionary page".into())
        }
        (encoding, _) => return Err(format!("encoding {encoding:?} is not one the snapshot reads")),
    }
    Ok(count)
}

/// Decodes `count` values of Parquet's RLE / bit-packing hybrid encoding
/// of `width` bits each, calling `values(value, n)` for each value repeated
/// `n` times: runs, each a ULEB128 header, then either (header even) one
/// value repeated header / 2 times, little-endian in width / 8 bytes
/// rounded up, or (header odd) header / 2 groups of 8 values bit-packed
/// from the lowest bit up.
fn hybrid_rle(mut bytes: &[u8], width: u32, count: usize, mut values: impl FnMut(u32, usize)) -> Result<(), String> {
    if width > 32 {
        return Err(format!("bit width {width} beyond 32"));
    }
    let short = || format!("the runs end before their {count} values");
    let mask = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
    let mut left = count;
    while left > 0 {
        let (header, used) = uleb128(bytes).ok_or_else(short)?;
        bytes = &bytes[used..];
        let run = usize::try_from(header >> 1).map_err(|_| short())?;
        if header & 1 == 0 {
            let width_bytes = width.div_ceil(8) as usize;
            let stored = bytes.get(..width_bytes).ok_or_else(short)?;
            let repeated = stored.iter().rev().fold(0u32, |v, &b| v << 8 | u32::from(b));
            values(repeated, run.min(left));
            left -= run.min(left);
            bytes = &bytes[width_bytes..];
        } else {
            let length = run.checked_mul(width as usize).ok_or_else(short)?;
            let packed = bytes.get(..length).ok_or_else(short)?;
            let unpacked = run.saturating_mul(8).min(left);
            for i in 0..unpacked {
                let bit = i * width as usize;
                let mut word = [0u8; 8];
                let from = &packed[bit / 8..packed.len().min(bit / 8 + 8)];
                word[..from.len()].copy_from_slice(from);
                values((u64::from_le_bytes(word) >> (bit % 8)) as u32 & mask, 1);
            }
            left -= unpacked;
            bytes = &bytes[length..];
        }
    }
    Ok(())
}

/// A ULEB128 number at the start of `bytes` and how many bytes it took.
fn uleb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{Column as Series, DataFrame, ParquetWriter};

    fn decoded(bytes: &[u8], width: u32, count: usize) -> Result<Vec<u32>, String> {
        let mut values = Vec::new();
        hybrid_rle(bytes, width, count, |value, n| values.resize(values.len() + n, value))?;
        Ok(values)
    }

    /// The examples of Parquet's encodings.md: 0..7 bit-packed in 3 bits,
    /// and a run of eight 5s in a width of 3 (one byte).
    #[test]
    fn the_hybrid_encoding_reads_the_specifications_examples() {
        assert_eq!(decoded(&[0x03, 0x88, 0xc6, 0xfa], 3, 8).unwrap(), (0..8).collect::<Vec<u32>>());
        assert_eq!(decoded(&[0x10, 0x05], 3, 8).unwrap(), vec![5; 8]);
        // A group of 8 holds fewer values at the end of a page.
        assert_eq!(decoded(&[0x03, 0x88, 0xc6, 0xfa], 3, 5).unwrap(), (0..5).collect::<Vec<u32>>());
        assert!(decoded(&[0x03, 0x88], 3, 8).unwrap_err().contains("end before"));
        assert!(decoded(&[0x10], 3, 8).unwrap_err().contains("end before"));
        assert!(decoded(&[0x80], 3, 1).unwrap_err().contains("end before"));
    }

    /// Whatever polars' encoder writes (runs, bit-packed groups, widths up
    /// to 32) reads back.
    #[test]
    fn the_hybrid_encoding_reads_what_polars_writes() {
        for width in [0, 1, 2, 5, 8, 13, 17, 31, 32] {
            let max = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
            let values: Vec<u32> = (0..1000u32)
                .map(|i| if i % 100 < 40 { 7 } else { i.wrapping_mul(2_654_435_761) })
                .map(|v| if max == 0 { 0 } else { v % max.saturating_add(1).max(1) })
                .map(|v| v & max)
                .collect();
            let mut bytes = Vec::new();
            polars_parquet::parquet::encoding::hybrid_rle::encode::<u32, _, _>(
                &mut bytes,
                values.iter().copied(),
                width,
            )
            .unwrap();
            assert_eq!(decoded(&bytes, width, values.len()).unwrap(), values, "width {width}");
        }
    }

    /// A snapshot written by polars' own writer (as snapshots were before
    /// the pages were encoded here): dictionary pages, several data pages
    /// per chunk and nulls read back value by value.
    #[test]
    fn a_file_written_by_polars_reads_back() {
        let rows = 1000;
        let words: Vec<Option<&str>> =
            (0..rows).map(|i| ["SEK", "EUR", "Åland"].get(i % 4).copied().filter(|_| i % 17 != 3)).collect();
        let texts: Vec<String> = (0..rows).map(|i| format!("{}-{i}", "ä".repeat(i % 5))).collect();
        let counts: Vec<u64> = (0..rows as u64).map(|i| (i % 7) << 40).collect();
        let flags: Vec<bool> = (0..rows).map(|i| i % 3 == 0).collect();
        let days: Vec<Option<i32>> = (0..rows as i32).map(|i| (i % 29 != 0).then_some(19_000 + i % 40)).collect();
        let mut df = DataFrame::new_infer_height(vec![
            Series::new("word".into(), words.clone()),
            Series::new("text".into(), texts.clone()),
            Series::new("count".into(), counts.clone()),
            Series::new("flag".into(), flags.clone()),
            Series::new("day".into(), days.clone()).cast(&DataType::Date).unwrap(),
        ])
        .unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes)
            .with_row_group_size(Some(300))
            .with_data_page_size(Some(512))
            .finish(&mut df)
            .unwrap();
        let (read_rows, columns) = read(bytes).unwrap();
        assert_eq!(read_rows, rows);
        let column = |name: &str| columns.iter().find(|c| c.name == name).unwrap();
        let text_at = |name: &str, row: usize| {
            let Values::Text(chunks) = &column(name).values else { panic!("{name} is not text") };
            let mut row = row;
            let chunk = chunks.iter().find(|c| row < c.len() || (row -= c.len(), false).1).unwrap();
            chunk.get(row).to_owned()
        };
        let word = column("word");
        assert_eq!(word.dtype, DataType::String);
        for i in 0..rows {
            assert_eq!(word.defined.as_ref().unwrap()[i], words[i].is_some(), "row {i}");
            assert_eq!(text_at("word", i), words[i].unwrap_or(""), "row {i}");
            assert_eq!(text_at("text", i), texts[i], "row {i}");
        }
        assert!(column("text").defined.is_none());
        assert!(
            matches!(&column("count").values, Values::Int64(v) if v.iter().map(|&c| c as u64).eq(counts.iter().copied()))
        );
        assert!(matches!(&column("flag").values, Values::Boolean(v) if *v == flags));
        let day = column("day");
        assert_eq!(day.dtype, DataType::Date);
        let Values::Int32(read_days) = &day.values else { panic!("day is not Int32") };
        for i in 0..rows {
            assert_eq!(day.defined.as_ref().unwrap()[i].then_some(read_days[i]), days[i], "row {i}");
        }
    }

    /// Texts of dictionary pages followed by a PLAIN page (a writer whose
    /// dictionary grew too large) keep their order, and a row without a
    /// value is the empty text.
    #[test]
    fn dictionary_keys_then_plain_texts_read_in_order() {
        let plain = |texts: &[&str]| {
            let mut bytes = Vec::new();
            for t in texts {
                bytes.extend_from_slice(&(t.len() as u32).to_le_bytes());
                bytes.extend_from_slice(t.as_bytes());
            }
            bytes
        };
        let mut dictionary = Decoded::new(PhysicalType::ByteArray, 2);
        dictionary.push_plain(&plain(&["kr", "€"]), 2).unwrap();
        let mut values = Decoded::new(PhysicalType::ByteArray, 6);
        values.push_keys(&dictionary, vec![1, 0, 1]).unwrap();
        values.push_plain(&plain(&["x", "ÿz"]), 2).unwrap();
        values.push_keys(&dictionary, vec![0]).unwrap();
        assert!(values.push_keys(&dictionary, vec![2]).unwrap_err().contains("index 2 beyond"));
        let defined = [true, true, false, true, true, true, true];
        let Values::Text(chunks) = values.into_values(&defined).unwrap() else { panic!("not text") };
        let texts: Vec<&str> = (0..chunks[0].len()).map(|r| chunks[0].get(r)).collect();
        assert_eq!(texts, ["€", "kr", "", "€", "x", "ÿz", "kr"]);

        // Keys kept as they are, with a row without a value.
        let mut values = Decoded::new(PhysicalType::ByteArray, 3);
        values.push_keys(&dictionary, vec![1, 1]).unwrap();
        let Values::Text(chunks) = values.into_values(&[true, false, true]).unwrap() else { panic!("not text") };
        assert_eq!((0..3).map(|r| chunks[0].get(r)).collect::<Vec<_>>(), ["€", "", "€"]);
        assert!(chunks[0].entries().1.is_some());
    }

    /// A value that is not UTF-8, or UTF-8 only across two values, is an
    /// error.
    #[test]
    fn texts_must_be_utf8_value_by_value() {
        assert!(utf8(vec![b'a', 0xff], &[2]).unwrap_err().contains("not UTF-8"));
        // "é" split between two values: UTF-8 as a whole, not per value.
        assert!(utf8("aé".as_bytes().to_vec(), &[2, 3]).unwrap_err().contains("inside a character"));
        assert_eq!(utf8("aé".as_bytes().to_vec(), &[1, 3]).unwrap(), "aé");
    }

    proptest::proptest! {
        /// Any bytes, read as hybrid runs, PLAIN values or dictionary keys
        /// of any type, give values or an error, never a panic.
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
                                                      width in 0u32..40, count in 0usize..100) {
            let _ = decoded(&bytes, width, count);
            for physical in [PhysicalType::ByteArray, PhysicalType::Int64, PhysicalType::Int32, PhysicalType::Boolean] {
                let mut dictionary = Decoded::new(physical, 0);
                if dictionary.push_plain(&bytes, count % 5).is_ok() {
                    let mut values = Decoded::new(physical, count);
                    let keys = bytes.iter().map(|&b| u32::from(b % 8)).collect();
                    if values.push_keys(&dictionary, keys).is_ok() {
                        let _ = values.push_plain(&bytes, count);
                        let defined: Vec<bool> = (0..values.len() + count % 3).map(|i| i % 4 != 1).collect();
                        let _ = values.into_values(&defined);
                    }
                }
            }
        }
    }
}
