//! The snapshot's Parquet tables, column by column: `TableBuilder` encodes
//! a table's pages straight from its rows (a row group per task, each
//! column chunk one page, compressed a column per task) and hands them to
//! polars' Parquet file writer; `Table` reads one back (its pages decoded
//! by `columns`) and hands out typed columns, failing with an
//! error that names the file, the column and the row, never panicking.
//!
//! Column kinds (schemas/state.md): text (String), whole numbers (UInt64),
//! flags (Boolean), dates (Date) and amounts, stored as three columns
//! `<name>_mantissa` (Int64), `<name>_scale` (UInt32) and `<name>_text`
//! (String): exactly one of the pair and the text is set in each row (see
//! `money_columns`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::encoding::{hybrid_rle, uleb128};
use polars_parquet::parquet::metadata::Descriptor;
use polars_parquet::parquet::page::{CompressedDataPage, CompressedDictPage, DataPageHeader, DataPageHeaderV1};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    fallible_streaming_iterator, to_parquet_schema, CompressedPage, CompressionOptions, DynIter, DynStreamingIterator,
    Encoding, FileWriter, ParquetType, Version, WriteOptions, ZstdLevel,
};
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::columns::{self, TextChunk, Values};
use crate::store::money_columns::{
    date_to_days, days_to_date, scaled_amount, store_amount, text_to_amount, StoredAmount,
};
use crate::store::{io, Error};

/// The compression of every page of the snapshot (schemas/state.md says
/// why): zstd at level 1, about as small as the default level here and
/// cheaper to write (measured in BENCHMARKS.md). Compressed here rather
/// than by polars, which first zeroes an output buffer of the worst-case
/// size.
const ZSTD_LEVEL: i32 = 1;

/// A page compressed. zstd's buffer has room for the worst case (more
/// than the page itself); the page is kept until the file is assembled, so
/// it is moved to a buffer of its own size.
fn zstd(bytes: &[u8]) -> PolarsResult<CowBuffer> {
    let mut compressed = zstd::bulk::compress(bytes, ZSTD_LEVEL)?;
    compressed.shrink_to_fit();
    Ok(CowBuffer::Owned(compressed))
}

/// Rows per Parquet row group. Fixed, so that the same rows always give
/// the same bytes; a row group is the unit of parallel work. Tests use
/// tiny row groups so that small tables span several.
const ROW_GROUP: usize = if cfg!(test) { 7 } else { 1 << 17 };

/// Rows visited together: each column takes its values from a block of rows
/// while those rows are in the cache, rather than walking every row once
/// per column.
const BLOCK: usize = 256;

/// How a column takes its value from a row.
enum Field<'a, R> {
    /// Free text: stored plain.
    Text(Box<dyn for<'r> Fn(&'r R) -> &'r str + Send + Sync + 'a>),
    /// A word from a small vocabulary (a stage, a currency, a rule): stored
    /// as a dictionary.
    Word(Box<dyn for<'r> Fn(&'r R) -> &'r str + Send + Sync + 'a>),
    /// A whole number (UInt64).
    Count(Box<dyn Fn(&R) -> u64 + Send + Sync + 'a>),
    /// A Boolean.
    Flag(Box<dyn Fn(&R) -> bool + Send + Sync + 'a>),
    /// A Date (days from 1970-01-01).
    Date(Box<dyn Fn(&R) -> NaiveDate + Send + Sync + 'a>),
    /// An amount: three columns (see the module doc).
    Amount(Box<dyn Fn(&R) -> Decimal + Send + Sync + 'a>),
}

impl<R> Field<'_, R> {
    /// The name and polars type of each of the field's columns.
    fn columns(&self, name: &str) -> Vec<(String, DataType)> {
        match self {
            Field::Text(_) | Field::Word(_) => vec![(name.into(), DataType::String)],
            Field::Count(_) => vec![(name.into(), DataType::UInt64)],
            Field::Flag(_) => vec![(name.into(), DataType::Boolean)],
            Field::Date(_) => vec![(name.into(), DataType::Date)],
            Field::Amount(_) => vec![
                (format!("{name}_mantissa"), DataType::Int64),
                (format!("{name}_scale"), DataType::UInt32),
                (format!("{name}_text"), DataType::String),
            ],
        }
    }
}

/// The columns of one table, declared in file order, built from `rows`.
pub struct TableBuilder<'a, R> {
    rows: &'a [R],
    fields: Vec<(&'static str, Field<'a, R>)>,
    /// Rows per row group: `ROW_GROUP`, or another length in tests.
    row_group: usize,
}

impl<'a, R: Sync> TableBuilder<'a, R> {
    pub fn new(rows: &'a [R]) -> Self {
        TableBuilder { rows, fields: Vec::new(), row_group: ROW_GROUP }
    }

    /// A String column of free text.
    pub fn text(&mut self, name: &'static str, field: impl for<'r> Fn(&'r R) -> &'r str + Send + Sync + 'a) {
        self.fields.push((name, Field::Text(Box::new(field))));
    }

    /// A String column of words from a small vocabulary.
    pub fn word(&mut self, name: &'static str, field: impl for<'r> Fn(&'r R) -> &'r str + Send + Sync + 'a) {
        self.fields.push((name, Field::Word(Box::new(field))));
    }

    /// A UInt64 column.
    pub fn count(&mut self, name: &'static str, field: impl Fn(&R) -> u64 + Send + Sync + 'a) {
        self.fields.push((name, Field::Count(Box::new(field))));
    }

    /// A Boolean column.
    pub fn flag(&mut self, name: &'static str, field: impl Fn(&R) -> bool + Send + Sync + 'a) {
        self.fields.push((name, Field::Flag(Box::new(field))));
    }

    /// A Date column.
    pub fn date(&mut self, name: &'static str, field: impl Fn(&R) -> NaiveDate + Send + Sync + 'a) {
        self.fields.push((name, Field::Date(Box::new(field))));
    }

    /// An amount: the columns `<name>_mantissa`, `<name>_scale` and
    /// `<name>_text` (see the module doc).
    pub fn amount(&mut self, name: &'static str, field: impl Fn(&R) -> Decimal + Send + Sync + 'a) {
        self.fields.push((name, Field::Amount(Box::new(field))));
    }

    /// The table as Parquet bytes: row groups of `ROW_GROUP` rows, each
    /// column chunk one data page (PLAIN, or indices into a dictionary page
    /// for words), written straight from the rows (no intermediate polars or arrow columns) and compressed in
    /// parallel, then put together in order. The same rows give the same
    /// bytes.
    pub fn to_parquet(&self) -> PolarsResult<Vec<u8>> {
        let schema: Schema = self
            .fields
            .iter()
            .flat_map(|(name, field)| field.columns(name))
            .map(|(name, dtype)| polars::prelude::Field::new(name.into(), dtype))
            .collect();
        let schema = schema.to_arrow(CompatLevel::newest());
        let parquet_schema = to_parquet_schema(&schema)?;
        let options = WriteOptions {
            // Nothing filters the state by column statistics: none written.
            statistics: StatisticsOptions {
                min_value: false,
                max_value: false,
                distinct_count: false,
                null_count: false,
                binary_statistics_truncate_length: None,
            },
            version: Version::V1,
            // The pages come compressed (`zstd`); this is only declared.
            compression: CompressionOptions::Zstd(ZstdLevel::try_new(ZSTD_LEVEL).ok()),
            data_page_size: None,
        };
        let groups = self
            .rows
            .par_chunks(self.row_group)
            .map(|rows| {
                self.row_group(rows)
                    .into_par_iter()
                    .zip(parquet_schema.fields())
                    .map(|(chunk, type_)| chunk.pages(rows.len(), type_))
                    .collect::<PolarsResult<Vec<Vec<CompressedPage>>>>()
                    .map(|pages| (rows.len() as u64, pages))
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        // The file's size, near enough, so that it is not copied as it grows.
        let size: usize = groups
            .iter()
            .flat_map(|(_, pages)| pages.iter().flatten())
            .map(|page| 64 + if let CompressedPage::Data(page) = page { page.compressed_size() } else { 0 })
            .sum();
        let mut bytes = Vec::with_capacity(size + (1 << 20));
        let mut file = FileWriter::new_with_parquet_schema(&mut bytes, schema, parquet_schema, options);
        for (rows, pages) in &groups {
            let columns = pages
                .iter()
                .map(|pages| Ok(DynStreamingIterator::new(fallible_streaming_iterator::convert(pages.iter().map(Ok)))));
            file.write(*rows, DynIter::new(columns))?;
        }
        file.end(None)?;
        Ok(bytes)
    }

    /// The column chunks of one row group, filled block by block.
    fn row_group(&self, rows: &[R]) -> Vec<Chunk> {
        let mut columns: Vec<Filling<'_, 'a, R>> =
            self.fields.iter().map(|(_, f)| Filling::new(f, rows.len())).collect();
        for block in rows.chunks(BLOCK) {
            for column in &mut columns {
                column.push(block);
            }
        }
        columns.into_iter().flat_map(Filling::finish).collect()
    }
}

/// One column chunk of a row group, not yet compressed.
enum Chunk {
    /// One PLAIN-encoded data page: its bytes (see `page`).
    Plain(Vec<u8>),
    /// A dictionary page (the distinct values, PLAIN-encoded, and how many)
    /// and a data page of indices into it (encoding RLE_DICTIONARY).
    Dictionary { values: Vec<u8>, count: usize, page: Vec<u8> },
}

impl Chunk {
    /// The chunk's pages (format version 1), compressed.
    fn pages(self, rows: usize, type_: &ParquetType) -> PolarsResult<Vec<CompressedPage>> {
        let ParquetType::PrimitiveType(primitive_type) = type_ else {
            polars_bail!(ComputeError: "snapshot columns are flat, found a nested Parquet type")
        };
        let num_values = i32::try_from(rows).map_err(|_| polars_err!(ComputeError: "row group too long"))?;
        let data_page = |bytes: Vec<u8>, encoding: Encoding| -> PolarsResult<CompressedPage> {
            let header = DataPageHeader::V1(DataPageHeaderV1 {
                num_values,
                encoding: encoding.into(),
                definition_level_encoding: Encoding::Rle.into(),
                repetition_level_encoding: Encoding::Rle.into(),
                statistics: None,
            });
            let descriptor = Descriptor { primitive_type: primitive_type.clone(), max_def_level: 0, max_rep_level: 0 };
            let page = CompressedDataPage::new(header, zstd(&bytes)?, Compression::Zstd, bytes.len(), descriptor, rows);
            Ok(CompressedPage::Data(page))
        };
        Ok(match self {
            Chunk::Plain(page) => vec![data_page(page, Encoding::Plain)?],
            Chunk::Dictionary { values, count, page } => vec![
                CompressedPage::Dict(CompressedDictPage::new(
                    zstd(&values)?,
                    Compression::Zstd,
                    values.len(),
                    count,
                    false,
                )),
                data_page(page, Encoding::RleDictionary)?,
            ],
        })
    }
}

/// A data page's bytes: the definition levels, then `values` (the
/// PLAIN-encoded values of the rows that have one). Every polars column is
/// nullable, so every Parquet column is OPTIONAL and has definition levels:
/// a 4-byte length, then runs of the RLE/bit-packing hybrid encoding with
/// bit width 1 (a ULEB128 header of run length << 1, then one byte: 1 = a
/// value, 0 = null). Each of the `rows` rows is `usual` except those in
/// `unusual` (ascending).
fn page(rows: usize, usual: bool, unusual: &[usize], values: &[u8]) -> Vec<u8> {
    let mut page = Vec::with_capacity(values.len() + 16 + 4 * unusual.len());
    page.extend_from_slice(&[0; 4]);
    let mut row = 0;
    for &at in unusual {
        level_run(&mut page, at - row, usual);
        level_run(&mut page, 1, !usual);
        row = at + 1;
    }
    level_run(&mut page, rows - row, usual);
    let length = (page.len() - 4) as u32;
    page[..4].copy_from_slice(&length.to_le_bytes());
    page.extend_from_slice(values);
    page
}

/// The start of a data page whose `rows` rows all have a value (the same
/// bytes as `page(rows, true, &[], values)` before the values), with room
/// for `capacity` bytes of values: the values are then written straight
/// into the page, not copied into it.
fn defined_page(rows: usize, capacity: usize) -> Vec<u8> {
    let mut page = Vec::with_capacity(16 + capacity);
    page.extend_from_slice(&[0; 4]);
    level_run(&mut page, rows, true);
    let length = (page.len() - 4) as u32;
    page[..4].copy_from_slice(&length.to_le_bytes());
    page
}

/// Appends a run of `length` definition levels (see `page`).
fn level_run(page: &mut Vec<u8>, length: usize, defined: bool) {
    if length > 0 {
        let mut header = [0; 10];
        let used = uleb128::encode((length as u64) << 1, &mut header);
        page.extend_from_slice(&header[..used]);
        page.push(u8::from(defined));
    }
}

/// A text column of a row group being filled.
type TextField<'f, 'a, R> = &'f (dyn for<'r> Fn(&'r R) -> &'r str + Send + Sync + 'a);

/// One column of a row group being filled, its values PLAIN-encoded as
/// they come, after the page's definition levels (`defined_page`): text as a 4-byte little-endian length and the UTF-8 bytes,
/// numbers and dates as little-endian 8 (Int64, UInt64) or 4 (UInt32;
/// Date, days from 1970-01-01) bytes, flags one bit each from the lowest
/// bit up.
enum Filling<'f, 'a, R> {
    Text(TextField<'f, 'a, R>, Vec<u8>),
    Word(TextField<'f, 'a, R>, Words),
    Count(&'f (dyn Fn(&R) -> u64 + Send + Sync + 'a), Vec<u8>),
    Flag(&'f (dyn Fn(&R) -> bool + Send + Sync + 'a), Vec<u8>),
    Date(&'f (dyn Fn(&R) -> NaiveDate + Send + Sync + 'a), Vec<u8>),
    Amount(&'f (dyn Fn(&R) -> Decimal + Send + Sync + 'a), AmountValues),
}

impl<'f, 'a, R> Filling<'f, 'a, R> {
    fn new(field: &'f Field<'a, R>, rows: usize) -> Self {
        match field {
            Field::Text(f) => Filling::Text(f.as_ref(), defined_page(rows, rows * 16)),
            Field::Word(f) => Filling::Word(f.as_ref(), Words::with_capacity(rows)),
            Field::Count(f) => Filling::Count(f.as_ref(), defined_page(rows, rows * 8)),
            Field::Flag(f) => Filling::Flag(f.as_ref(), defined_page(rows, rows.div_ceil(8))),
            Field::Date(f) => Filling::Date(f.as_ref(), defined_page(rows, rows * 4)),
            Field::Amount(f) => Filling::Amount(f.as_ref(), AmountValues::with_capacity(rows)),
        }
    }

    /// Adds `rows` (a block: whole bytes of flags, as `BLOCK` is a
    /// multiple of 8 and only the last block is shorter).
    fn push(&mut self, rows: &[R]) {
        match self {
            Filling::Text(f, values) => rows.iter().for_each(|r| push_text(values, f(r))),
            Filling::Word(f, words) => rows.iter().for_each(|r| words.push(f(r))),
            Filling::Count(f, values) => rows.iter().for_each(|r| values.extend_from_slice(&f(r).to_le_bytes())),
            Filling::Flag(f, values) => values.extend(
                rows.chunks(8)
                    .map(|byte| byte.iter().enumerate().fold(0u8, |bits, (i, r)| bits | (u8::from(f(r)) << i))),
            ),
            Filling::Date(f, values) => {
                rows.iter().for_each(|r| values.extend_from_slice(&date_to_days(f(r)).to_le_bytes()));
            }
            Filling::Amount(f, values) => rows.iter().for_each(|r| values.push(f(r))),
        }
    }

    /// The column's chunks (three for an amount).
    fn finish(self) -> Vec<Chunk> {
        match self {
            Filling::Text(_, values)
            | Filling::Count(_, values)
            | Filling::Flag(_, values)
            | Filling::Date(_, values) => vec![Chunk::Plain(values)],
            Filling::Word(_, words) => vec![words.finish()],
            Filling::Amount(_, values) => values.finish().into_iter().map(Chunk::Plain).collect(),
        }
    }
}

/// Appends `text` PLAIN-encoded (4-byte little-endian length, then bytes).
fn push_text(values: &mut Vec<u8>, text: &str) {
    values.extend_from_slice(&(text.len() as u32).to_le_bytes());
    values.extend_from_slice(text.as_bytes());
}

/// The values of a word column: each distinct word once, in the order
/// first seen, and each row's index into them.
struct Words {
    /// The distinct words, PLAIN-encoded (the dictionary page's values).
    values: Vec<u8>,
    /// Each distinct word: its index and where its bytes are in `values`.
    index: HashMap<String, (u32, usize), foldhash::fast::FixedState>,
    keys: Vec<u32>,
    /// Where the last word seen is in `values`, and its index: a word
    /// repeated in the next row (the creditor of consecutive claims, a
    /// country) is found again without hashing.
    last: Option<(std::ops::Range<usize>, u32)>,
}

impl Words {
    fn with_capacity(rows: usize) -> Self {
        Words { values: Vec::new(), index: HashMap::default(), keys: Vec::with_capacity(rows), last: None }
    }

    fn push(&mut self, word: &str) {
        if let Some((last, key)) = &self.last {
            if &self.values[last.clone()] == word.as_bytes() {
                self.keys.push(*key);
                return;
            }
        }
        let key = match self.index.get(word) {
            Some(&(key, start)) => {
                self.last = Some((start..start + word.len(), key));
                key
            }
            None => {
                let key = self.index.len() as u32;
                push_text(&mut self.values, word);
                let start = self.values.len() - word.len();
                self.index.insert(word.to_owned(), (key, start));
                self.last = Some((start..self.values.len(), key));
                key
            }
        };
        self.keys.push(key);
    }

    /// The dictionary and the data page: definition levels (a value in
    /// every row), the bit width of the indices (one byte), then the
    /// indices in the RLE/bit-packing hybrid encoding.
    fn finish(self) -> Chunk {
        let width = u32::BITS - (self.index.len().saturating_sub(1) as u32).leading_zeros();
        let mut indices = vec![width as u8];
        // Writing to a Vec cannot fail.
        let _ = hybrid_rle::encode::<u32, _, _>(&mut indices, self.keys.iter().copied(), width);
        Chunk::Dictionary {
            values: self.values,
            count: self.index.len(),
            page: page(self.keys.len(), true, &[], &indices),
        }
    }
}

/// The values of an amount column: mantissas and scales of the rows that
/// fit them (after the definition levels of a page where every row has a
/// value: `defined_page`), and the rows too wide for them with their exact
/// text.
struct AmountValues {
    mantissas: Vec<u8>,
    scales: Vec<u8>,
    /// The definition levels' length at the start of `mantissas` and
    /// `scales`.
    levels: usize,
    wide_rows: Vec<usize>,
    wide_texts: Vec<u8>,
    rows: usize,
}

impl AmountValues {
    fn with_capacity(rows: usize) -> Self {
        let mantissas = defined_page(rows, rows * 8);
        AmountValues {
            levels: mantissas.len(),
            mantissas,
            scales: defined_page(rows, rows * 4),
            wide_rows: Vec::new(),
            wide_texts: Vec::new(),
            rows: 0,
        }
    }

    fn push(&mut self, amount: Decimal) {
        match store_amount(amount) {
            StoredAmount::Scaled { mantissa, scale } => {
                self.mantissas.extend_from_slice(&mantissa.to_le_bytes());
                self.scales.extend_from_slice(&scale.to_le_bytes());
            }
            StoredAmount::Text(text) => {
                self.wide_rows.push(self.rows);
                push_text(&mut self.wide_texts, &text);
            }
        }
        self.rows += 1;
    }

    /// The pages of `_mantissa`, `_scale` (null in the wide rows) and
    /// `_text` (null in all others).
    fn finish(self) -> Vec<Vec<u8>> {
        let (mantissas, scales) = if self.wide_rows.is_empty() {
            (self.mantissas, self.scales)
        } else {
            (
                page(self.rows, true, &self.wide_rows, &self.mantissas[self.levels..]),
                page(self.rows, true, &self.wide_rows, &self.scales[self.levels..]),
            )
        };
        vec![mantissas, scales, page(self.rows, false, &self.wide_rows, &self.wide_texts)]
    }
}

/// The String values of one column, row by row over its chunks (one per
/// row group).
pub struct Texts<'a> {
    chunks: &'a [TextChunk],
    /// The length of every chunk but the last as a power of two, when
    /// they are all equal to it (row groups of `ROW_GROUP` rows): then a
    /// row's chunk is a shift.
    shift: Option<u32>,
    /// The first row of each chunk.
    starts: Vec<usize>,
}

impl<'a> Texts<'a> {
    fn new(chunks: &'a [TextChunk]) -> Self {
        let mut starts = Vec::with_capacity(chunks.len());
        let mut row = 0;
        for chunk in chunks {
            starts.push(row);
            row += chunk.len();
        }
        let first = chunks.first().map_or(0, TextChunk::len);
        let uniform = first.is_power_of_two() && chunks.iter().rev().skip(1).all(|c| c.len() == first);
        Texts { chunks, shift: uniform.then_some(first.trailing_zeros()), starts }
    }

    /// The value in row `row` (0-based, below the table's length).
    pub fn get(&self, row: usize) -> &'a str {
        let chunk = match self.shift {
            Some(shift) => (row >> shift).min(self.chunks.len() - 1),
            None => self.starts.partition_point(|&start| start <= row).saturating_sub(1),
        };
        self.chunks[chunk].get(row - self.starts[chunk])
    }
}

/// One snapshot file read back, with typed access to its columns.
pub struct Table {
    path: PathBuf,
    rows: usize,
    columns: Vec<columns::Column>,
}

impl Table {
    /// Reads the whole file.
    ///
    /// # Errors
    /// `Error::Io` / `Error::Snapshot` naming the file.
    pub fn read(path: &Path) -> Result<Table, Error> {
        let bytes = std::fs::read(path).map_err(io(path))?;
        let unreadable = |message: String| Error::Snapshot { path: path.to_path_buf(), message };
        // polars-parquet's page reader may panic on a damaged file: a
        // damaged file must be an error, not a crash.
        let (rows, columns) = std::panic::catch_unwind(|| columns::read(bytes))
            .map_err(|_| unreadable("damaged Parquet file (the Parquet reader failed on it)".into()))?
            .map_err(unreadable)?;
        Ok(Table { path: path.to_path_buf(), rows, columns })
    }

    /// Rows in the table.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// An error about this file.
    pub fn error(&self, message: String) -> Error {
        Error::Snapshot { path: self.path.clone(), message }
    }

    /// An error about row `row` (0-based) of column `name`.
    pub fn row_error(&self, name: &str, row: usize, what: &str) -> Error {
        self.error(format!("column `{name}`, row {}: {what}", row + 1))
    }

    /// Column `name`, which must have type `dtype`.
    fn column(&self, name: &str, dtype: &DataType) -> Result<&columns::Column, Error> {
        let column = self
            .columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| self.error(format!("column `{name}` is missing")))?;
        if column.dtype != *dtype {
            return Err(self.error(format!("column `{name}` has type {}, expected {dtype}", column.dtype)));
        }
        Ok(column)
    }

    /// Column `name` with type `dtype` and a value in every row.
    fn required(&self, name: &str, dtype: &DataType) -> Result<&Values, Error> {
        let column = self.column(name, dtype)?;
        if let Some(row) = column.defined.as_ref().and_then(|defined| defined.iter().position(|d| !d)) {
            return Err(self.row_error(name, row, "no value"));
        }
        Ok(&column.values)
    }

    /// The error for a column whose values are not of its declared type
    /// (a file whose schema and pages disagree).
    fn mismatch(&self, name: &str) -> Error {
        self.error(format!("column `{name}`: its values do not match its declared type"))
    }

    /// A String column with a value in every row.
    pub fn texts(&self, name: &str) -> Result<Texts<'_>, Error> {
        match self.required(name, &DataType::String)? {
            Values::Text(chunks) => Ok(Texts::new(chunks)),
            _ => Err(self.mismatch(name)),
        }
    }

    /// The values of column `name` decoded in row order: `decode` gives
    /// back the stored value it refuses, `what` says what is wrong with it.
    fn decoded<V, T>(
        &self,
        name: &str,
        values: impl Iterator<Item = V>,
        decode: impl Fn(V) -> Result<T, V>,
        what: impl Fn(V) -> String,
    ) -> Result<Vec<T>, Error> {
        let mut decoded = Vec::with_capacity(self.len());
        for (row, value) in values.enumerate() {
            match decode(value) {
                Ok(v) => decoded.push(v),
                Err(value) => return Err(self.row_error(name, row, &what(value))),
            }
        }
        Ok(decoded)
    }

    /// A text column parsed row by row (`parse` returns `None` for a value
    /// that is not one of the column's words). A dictionary-encoded chunk's
    /// words are parsed once each.
    pub fn words<T: Clone>(&self, name: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, Error> {
        let Values::Text(chunks) = self.required(name, &DataType::String)? else {
            return Err(self.mismatch(name));
        };
        let mut words = Vec::with_capacity(self.len());
        let unknown = |row: usize, text: &str| self.row_error(name, row, &format!("unknown value {text:?}"));
        for chunk in chunks {
            match chunk.entries() {
                (entries, Some(keys)) => {
                    let parsed: Vec<Option<T>> = entries.map(&parse).collect();
                    for (row, &key) in keys.iter().enumerate() {
                        match &parsed[key as usize] {
                            Some(word) => words.push(word.clone()),
                            None => return Err(unknown(words.len(), chunk.get(row))),
                        }
                    }
                }
                (entries, None) => {
                    for text in entries {
                        words.push(parse(text).ok_or_else(|| unknown(words.len(), text))?);
                    }
                }
            }
        }
        Ok(words)
    }

    /// A String column with a value in every row, sorted and without
    /// repeats: the keys of a map, as the writer leaves them. A repeated
    /// key would otherwise be dropped without a word when the map is built.
    pub fn keys(&self, name: &str) -> Result<Texts<'_>, Error> {
        let keys = self.texts(name)?;
        let unsorted = (1..self.len()).into_par_iter().find_first(|&row| keys.get(row - 1) >= keys.get(row));
        match unsorted {
            Some(row) => Err(self.row_error(name, row, &format!("{:?} repeats or is out of order", keys.get(row)))),
            None => Ok(keys),
        }
    }

    /// A UInt64 column with a value in every row and none twice.
    pub fn unique_counts(&self, name: &str) -> Result<Vec<u64>, Error> {
        let counts = self.counts(name)?;
        let mut sorted = counts.clone();
        sorted.par_sort_unstable();
        match sorted.windows(2).find(|pair| pair[0] == pair[1]) {
            Some(pair) => {
                let row = counts.iter().rposition(|&c| c == pair[1]).unwrap_or(0);
                Err(self.row_error(name, row, &format!("{} appears twice", pair[1])))
            }
            None => Ok(counts),
        }
    }

    /// A UInt64 column with a value in every row.
    pub fn counts(&self, name: &str) -> Result<Vec<u64>, Error> {
        match self.required(name, &DataType::UInt64)? {
            // UInt64 is stored as INT64 (the same bits).
            Values::Int64(values) => Ok(values.iter().map(|&v| v as u64).collect()),
            _ => Err(self.mismatch(name)),
        }
    }

    /// A Boolean column with a value in every row.
    pub fn flags(&self, name: &str) -> Result<Vec<bool>, Error> {
        match self.required(name, &DataType::Boolean)? {
            Values::Boolean(values) => Ok(values.clone()),
            _ => Err(self.mismatch(name)),
        }
    }

    /// A Date column with a value in every row.
    pub fn dates(&self, name: &str) -> Result<Vec<NaiveDate>, Error> {
        let Values::Int32(days) = self.required(name, &DataType::Date)? else {
            return Err(self.mismatch(name));
        };
        let what = |d| format!("{d} days from 1970-01-01 is out of range");
        // A column's dates usually span a few years: each day in the span
        // is converted once and looked up (chrono's conversion, a calendar
        // computation per row, was 4 % of reading the state).
        let (first, last) = days.iter().fold((i32::MAX, i32::MIN), |(lo, hi), &d| (lo.min(d), hi.max(d)));
        let span = i64::from(last) - i64::from(first);
        if (0..1 << 16).contains(&span) {
            let dates: Vec<Option<NaiveDate>> = (first..=last).map(days_to_date).collect();
            return self.decoded(name, days.iter().copied(), |d| dates[(d - first) as usize].ok_or(d), what);
        }
        self.decoded(name, days.iter().copied(), |d| days_to_date(d).ok_or(d), what)
    }

    /// The amount stored in `<name>_mantissa`, `<name>_scale` and
    /// `<name>_text`.
    pub fn amounts(&self, name: &str) -> Result<Vec<Decimal>, Error> {
        let (m, s, t) = (format!("{name}_mantissa"), format!("{name}_scale"), format!("{name}_text"));
        let (mantissas, scales, texts) = (
            self.column(&m, &DataType::Int64)?,
            self.column(&s, &DataType::UInt32)?,
            self.column(&t, &DataType::String)?,
        );
        let (Values::Int64(mantissa_values), Values::Int32(scale_values), Values::Text(text_chunks)) =
            (&mantissas.values, &scales.values, &texts.values)
        else {
            return Err(self.mismatch(name));
        };
        // UInt32 is stored as INT32 (the same bits).
        let scale_values = scale_values.iter().map(|&s| s as u32);
        let beyond_28 = |(_, scale): (i64, u32)| format!("scale {scale} beyond 28");
        let no_text = texts.defined.as_ref().is_some_and(|d| !d.contains(&true)) || self.len() == 0;
        if mantissas.defined.is_none() && scales.defined.is_none() && no_text {
            let scaled = |(m, s)| scaled_amount(m, s).ok_or((m, s));
            return self.decoded(&s, mantissa_values.iter().copied().zip(scale_values), scaled, beyond_28);
        }
        let is = |column: &columns::Column, row: usize| column.defined.as_ref().is_none_or(|d| d[row]);
        let text_values = Texts::new(text_chunks);
        let values = mantissa_values.iter().zip(scale_values).enumerate().map(|(row, (&mantissa, scale))| {
            (
                (is(mantissas, row).then_some(mantissa), is(scales, row).then_some(scale)),
                is(texts, row).then(|| text_values.get(row)),
            )
        });
        let decode = |stored| match stored {
            ((Some(mantissa), Some(scale)), None) => scaled_amount(mantissa, scale).ok_or(stored),
            ((None, None), Some(text)) => text_to_amount(text).ok_or(stored),
            _ => Err(stored),
        };
        let what = |stored: ((Option<i64>, Option<u32>), Option<&str>)| match stored {
            ((Some(mantissa), Some(scale)), None) => format!("`{s}`: {}", beyond_28((mantissa, scale))),
            ((None, None), Some(text)) => format!("`{t}`: not an amount: {text:?}"),
            _ => "needs either a mantissa and a scale or a text, not both".into(),
        };
        self.decoded(name, values, decode, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row groups longer than a block and than a byte of flags, with every
    /// kind of column, nulls side by side and far apart, and a word column
    /// whose values repeat, change every row and occur once: every value
    /// reads back as written.
    #[test]
    fn every_encoding_reads_back_as_written() {
        struct Row {
            text: String,
            word: &'static str,
            count: u64,
            flag: bool,
            date: NaiveDate,
            amount: Decimal,
        }
        let words = ["SEK", "EUR", "NOK", "DKK", "", "se::inkassoavgift (lag 1981:739 3 §)"];
        let wide = Decimal::from_i128_with_scale(123_456_789_012_345_678_901_234_567, 5);
        let rows: Vec<Row> = (0..1500usize)
            .map(|i| Row {
                text: if i % 11 == 0 { String::new() } else { format!("Åsa {i}") },
                word: if i < 300 { words[0] } else { words[(i * 7 + i / 13) % words.len()] },
                count: (i as u64) << 40 | (i as u64),
                flag: i % 3 == 0 || i % 8 == 7,
                date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(i as i64 - 700),
                amount: if matches!(i, 0 | 1 | 2 | 255 | 256 | 511 | 512 | 1499) || i % 97 == 5 {
                    wide + Decimal::from(i)
                } else {
                    Decimal::new(i as i64 * 37 - 20_000, (i % 4) as u32)
                },
            })
            .collect();
        let mut t = TableBuilder::new(&rows);
        t.row_group = 512; // a power of two: `Texts::get` finds chunks by a shift
        t.text("text", |r| &r.text);
        t.word("word", |r| r.word);
        t.count("count", |r| r.count);
        t.flag("flag", |r| r.flag);
        t.date("date", |r| r.date);
        t.amount("amount", |r| r.amount);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, t.to_parquet().unwrap()).unwrap();
        let back = Table::read(&path).unwrap();
        assert_eq!(back.len(), rows.len());
        let texts = back.texts("text").unwrap();
        let words = back.words("word", |w| Some(w.to_owned())).unwrap();
        let (counts, flags) = (back.counts("count").unwrap(), back.flags("flag").unwrap());
        let (dates, amounts) = (back.dates("date").unwrap(), back.amounts("amount").unwrap());
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(texts.get(i), row.text, "row {i}");
            assert_eq!(words[i], row.word, "row {i}");
            assert_eq!((counts[i], flags[i], dates[i]), (row.count, row.flag, row.date), "row {i}");
            assert_eq!(amounts[i], row.amount, "row {i}");
            assert_eq!(amounts[i].scale(), row.amount.scale(), "row {i}");
        }
    }
}
