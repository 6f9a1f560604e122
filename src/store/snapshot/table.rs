//! The snapshot's Parquet tables, column by column: `TableBuilder` builds a
//! table's columns from rows (in parallel, one task per column) and encodes
//! it; `Table` reads one back and hands out typed columns, failing with an
//! error that names the file, the column and the row, never panicking.
//!
//! Column kinds (schemas/state.md): text (String), whole numbers (UInt64),
//! flags (Boolean), dates (Date) and amounts, stored as three columns
//! `<name>_mantissa` (Int64), `<name>_scale` (UInt32) and `<name>_text`
//! (String): exactly one of the pair and the text is set in each row (see
//! `money_columns`).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;
use rust_decimal::Decimal;

use polars_parquet::write::{
    array_to_columns, compress, fallible_streaming_iterator, to_parquet_schema, CompressedPage, CompressionOptions,
    DynIter, DynStreamingIterator, Encoding, FileWriter, ParquetType, Version, WriteOptions, ZstdLevel,
};

use crate::store::money_columns::{
    date_to_days, days_to_date, scaled_amount, store_amount, text_to_amount, StoredAmount,
};
use crate::store::{io, Error};

/// The compression of every snapshot file (schemas/state.md says why):
/// zstd at level 1, about as small as the default level here and cheaper
/// to write (measured in BENCHMARKS.md).
fn compression() -> CompressionOptions {
    CompressionOptions::Zstd(ZstdLevel::try_new(1).ok())
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
    /// The Parquet encodings of the field's columns. A dictionary is only
    /// tried where values repeat; for numbers polars keeps it only when
    /// their range is small (dates, scales) and falls back to plain.
    fn encodings(&self) -> &'static [Encoding] {
        match self {
            Field::Text(_) | Field::Flag(_) => &[Encoding::Plain],
            Field::Word(_) | Field::Count(_) | Field::Date(_) => &[Encoding::RleDictionary],
            Field::Amount(_) => &[Encoding::RleDictionary, Encoding::RleDictionary, Encoding::Plain],
        }
    }
}

/// The columns of one table, declared in file order, built from `rows`.
pub struct TableBuilder<'a, R> {
    rows: &'a [R],
    fields: Vec<(&'static str, Field<'a, R>)>,
}

impl<'a, R: Sync> TableBuilder<'a, R> {
    pub fn new(rows: &'a [R]) -> Self {
        TableBuilder { rows, fields: Vec::new() }
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

    /// The table as Parquet bytes: row groups of `ROW_GROUP` rows, whose
    /// columns are built, encoded and compressed in parallel, then put
    /// together in order. The same rows give the same bytes.
    pub fn to_parquet(&self) -> PolarsResult<Vec<u8>> {
        let groups: Vec<Vec<Series>> = self.rows.par_chunks(ROW_GROUP).map(|rows| self.row_group(rows)).collect();
        let schema: Schema = match groups.first() {
            Some(columns) => columns.iter().map(|c| c.field().into_owned()).collect(),
            None => self.row_group(&[]).iter().map(|c| c.field().into_owned()).collect(),
        };
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
            compression: compression(),
            data_page_size: None,
        };
        let encodings: Vec<Encoding> = self.fields.iter().flat_map(|(_, field)| field.encodings()).copied().collect();
        let pages = groups
            .par_iter()
            .map(|columns| {
                columns
                    .par_iter()
                    .zip(parquet_schema.fields())
                    .zip(&encodings)
                    .map(|((column, type_), encoding)| column_pages(column, type_, *encoding, options))
                    .collect::<PolarsResult<Vec<Vec<CompressedPage>>>>()
            })
            .collect::<PolarsResult<Vec<_>>>()?;
        let mut bytes = Vec::new();
        let mut file = FileWriter::new_with_parquet_schema(&mut bytes, schema, parquet_schema, options);
        for (columns, group) in pages.iter().zip(&groups) {
            let rows = group.first().map_or(0, |c| c.len()) as u64;
            let columns = columns
                .iter()
                .map(|pages| Ok(DynStreamingIterator::new(fallible_streaming_iterator::convert(pages.iter().map(Ok)))));
            file.write(rows, DynIter::new(columns))?;
        }
        file.end(None)?;
        Ok(bytes)
    }

    /// The columns of one row group, filled block by block.
    fn row_group(&self, rows: &[R]) -> Vec<Series> {
        let mut columns: Vec<Filling<'_, 'a, R>> =
            self.fields.iter().map(|(name, field)| Filling::new(name, field, rows.len())).collect();
        for block in rows.chunks(BLOCK) {
            for column in &mut columns {
                column.push(block);
            }
        }
        columns.into_iter().flat_map(Filling::finish).collect()
    }
}

/// One column chunk of a row group, encoded and compressed.
fn column_pages(
    column: &Series,
    type_: &ParquetType,
    encoding: Encoding,
    options: WriteOptions,
) -> PolarsResult<Vec<CompressedPage>> {
    let array = column.to_arrow(0, CompatLevel::newest());
    let mut compressed = Vec::new();
    for pages in array_to_columns(array, type_.clone(), options, &[encoding])? {
        for page in pages {
            compressed.push(compress(page?, Vec::new(), options.compression)?);
        }
    }
    Ok(compressed)
}

/// A text column of a row group being filled.
type TextField<'f, 'a, R> = &'f (dyn for<'r> Fn(&'r R) -> &'r str + Send + Sync + 'a);

/// One column of a row group being filled.
enum Filling<'f, 'a, R> {
    Text(TextField<'f, 'a, R>, StringChunkedBuilder),
    Count(&'static str, &'f (dyn Fn(&R) -> u64 + Send + Sync + 'a), Vec<u64>),
    Flag(&'static str, &'f (dyn Fn(&R) -> bool + Send + Sync + 'a), Vec<bool>),
    Date(&'static str, &'f (dyn Fn(&R) -> NaiveDate + Send + Sync + 'a), Vec<i32>),
    Amount(&'static str, &'f (dyn Fn(&R) -> Decimal + Send + Sync + 'a), AmountValues),
}

impl<'f, 'a, R> Filling<'f, 'a, R> {
    fn new(name: &'static str, field: &'f Field<'a, R>, rows: usize) -> Self {
        match field {
            Field::Text(f) | Field::Word(f) => Filling::Text(f.as_ref(), StringChunkedBuilder::new(name.into(), rows)),
            Field::Count(f) => Filling::Count(name, f.as_ref(), Vec::with_capacity(rows)),
            Field::Flag(f) => Filling::Flag(name, f.as_ref(), Vec::with_capacity(rows)),
            Field::Date(f) => Filling::Date(name, f.as_ref(), Vec::with_capacity(rows)),
            Field::Amount(f) => Filling::Amount(name, f.as_ref(), AmountValues::with_capacity(rows)),
        }
    }

    fn push(&mut self, rows: &[R]) {
        match self {
            Filling::Text(f, values) => rows.iter().for_each(|r| values.append_value(f(r))),
            Filling::Count(_, f, values) => values.extend(rows.iter().map(f)),
            Filling::Flag(_, f, values) => values.extend(rows.iter().map(f)),
            Filling::Date(_, f, values) => values.extend(rows.iter().map(|r| date_to_days(f(r)))),
            Filling::Amount(_, f, values) => rows.iter().for_each(|r| values.push(f(r))),
        }
    }

    fn finish(self) -> Vec<Series> {
        match self {
            Filling::Text(_, values) => vec![values.finish().into_series()],
            Filling::Count(name, _, values) => vec![UInt64Chunked::from_vec(name.into(), values).into_series()],
            Filling::Flag(name, _, values) => vec![BooleanChunked::from_slice(name.into(), &values).into_series()],
            Filling::Date(name, _, values) => {
                vec![Int32Chunked::from_vec(name.into(), values).into_date().into_series()]
            }
            Filling::Amount(name, _, values) => values.finish(name),
        }
    }
}

/// The values of an amount column: mantissas and scales, and the rows too
/// wide for them with their exact text.
struct AmountValues {
    mantissas: Vec<i64>,
    scales: Vec<u32>,
    wide: Vec<(usize, String)>,
}

impl AmountValues {
    fn with_capacity(rows: usize) -> Self {
        AmountValues { mantissas: Vec::with_capacity(rows), scales: Vec::with_capacity(rows), wide: Vec::new() }
    }

    fn push(&mut self, amount: Decimal) {
        match store_amount(amount) {
            StoredAmount::Scaled { mantissa, scale } => {
                self.mantissas.push(mantissa);
                self.scales.push(scale);
            }
            StoredAmount::Text(text) => {
                self.wide.push((self.mantissas.len(), text));
                self.mantissas.push(0);
                self.scales.push(0);
            }
        }
    }

    fn finish(self, name: &str) -> Vec<Series> {
        let len = self.mantissas.len();
        let (m, s, t) = (format!("{name}_mantissa"), format!("{name}_scale"), format!("{name}_text"));
        if self.wide.is_empty() {
            return vec![
                Int64Chunked::from_vec(m.into(), self.mantissas).into_series(),
                UInt32Chunked::from_vec(s.into(), self.scales).into_series(),
                StringChunked::full_null(t.into(), len).into_series(),
            ];
        }
        let mut texts: Vec<Option<&str>> = vec![None; len];
        for (row, text) in &self.wide {
            texts[*row] = Some(text);
        }
        let scaled = |row: usize| texts[row].is_none();
        vec![
            Int64Chunked::from_iter_options(
                m.into(),
                self.mantissas.iter().enumerate().map(|(row, v)| scaled(row).then_some(*v)),
            )
            .into_series(),
            UInt32Chunked::from_iter_options(
                s.into(),
                self.scales.iter().enumerate().map(|(row, v)| scaled(row).then_some(*v)),
            )
            .into_series(),
            StringChunked::from_slice_options(t.into(), &texts).into_series(),
        ]
    }
}

/// The String values of one column, row by row over its chunks (one per
/// row group).
pub struct Texts<'a> {
    chunks: Vec<&'a <StringType as PolarsDataType>::Array>,
    /// The length of every chunk but the last, when they are all equal
    /// (row groups of a fixed size): then a row's chunk is a division.
    uniform: Option<usize>,
    /// The first row of each chunk.
    starts: Vec<usize>,
}

impl<'a> Texts<'a> {
    fn new(ca: &'a StringChunked) -> Self {
        let chunks: Vec<_> = ca.downcast_iter().collect();
        let mut starts = Vec::with_capacity(chunks.len());
        let mut row = 0;
        for chunk in &chunks {
            starts.push(row);
            row += chunk.len();
        }
        let first = chunks.first().map_or(0, |c| c.len());
        let uniform = (first > 0 && chunks.iter().rev().skip(1).all(|c| c.len() == first)).then_some(first);
        Texts { chunks, uniform, starts }
    }

    /// The value in row `row` (0-based, below the table's length).
    pub fn get(&self, row: usize) -> &'a str {
        let chunk = match self.uniform {
            Some(len) => (row / len).min(self.chunks.len() - 1),
            None => self.starts.partition_point(|&start| start <= row).saturating_sub(1),
        };
        self.chunks[chunk].value(row - self.starts[chunk])
    }
}

/// One snapshot file read back, with typed access to its columns.
pub struct Table {
    path: PathBuf,
    df: DataFrame,
}

impl Table {
    /// Reads the whole file.
    ///
    /// # Errors
    /// `Error::Io` / `Error::Snapshot` naming the file.
    pub fn read(path: &Path) -> Result<Table, Error> {
        let file = std::fs::File::open(path).map_err(io(path))?;
        let unreadable = |message: String| Error::Snapshot { path: path.to_path_buf(), message };
        // polars' Parquet decoder panics on some damaged files (an `unwrap`
        // on a Thrift error): a damaged file must be an error, not a crash.
        let df = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ParquetReader::new(file).finish()))
            .map_err(|_| unreadable("damaged Parquet file (the Parquet reader failed on it)".into()))?
            .map_err(|e| unreadable(format!("not a readable Parquet file: {e}")))?;
        Ok(Table { path: path.to_path_buf(), df })
    }

    /// Rows in the table.
    pub fn len(&self) -> usize {
        self.df.height()
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
    fn column(&self, name: &str, dtype: &DataType) -> Result<&Series, Error> {
        let column = self.df.column(name).map_err(|_| self.error(format!("column `{name}` is missing")))?;
        if column.dtype() != dtype {
            return Err(self.error(format!("column `{name}` has type {}, expected {dtype}", column.dtype())));
        }
        Ok(column.as_materialized_series())
    }

    /// Column `name` with type `dtype` and a value in every row.
    fn required(&self, name: &str, dtype: &DataType) -> Result<&Series, Error> {
        let column = self.column(name, dtype)?;
        if column.null_count() > 0 {
            let row = column.is_null().iter().position(|null| null == Some(true)).unwrap_or(0);
            return Err(self.row_error(name, row, "no value"));
        }
        Ok(column)
    }

    /// A String column with a value in every row.
    pub fn texts(&self, name: &str) -> Result<Texts<'_>, Error> {
        let ca = self.required(name, &DataType::String)?.str().map_err(|e| self.error(e.to_string()))?;
        Ok(Texts::new(ca))
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
    /// that is not one of the column's words).
    pub fn words<T>(&self, name: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, Error> {
        let ca = self.required(name, &DataType::String)?.str().map_err(|e| self.error(e.to_string()))?;
        let values = ca.downcast_iter().flat_map(|chunk| chunk.values_iter());
        self.decoded(name, values, |text| parse(text).ok_or(text), |text| format!("unknown value {text:?}"))
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
        let ca = self.required(name, &DataType::UInt64)?.u64().map_err(|e| self.error(e.to_string()))?;
        let mut counts = Vec::with_capacity(self.len());
        ca.downcast_iter().for_each(|chunk| counts.extend_from_slice(chunk.values()));
        Ok(counts)
    }

    /// A Boolean column with a value in every row.
    pub fn flags(&self, name: &str) -> Result<Vec<bool>, Error> {
        let ca = self.required(name, &DataType::Boolean)?.bool().map_err(|e| self.error(e.to_string()))?;
        Ok(ca.downcast_iter().flat_map(|chunk| chunk.values_iter()).collect())
    }

    /// A Date column with a value in every row.
    pub fn dates(&self, name: &str) -> Result<Vec<NaiveDate>, Error> {
        let ca = self.required(name, &DataType::Date)?.date().map_err(|e| self.error(e.to_string()))?.physical();
        let days = ca.downcast_iter().flat_map(|chunk| chunk.values().iter().copied());
        self.decoded(name, days, |d| days_to_date(d).ok_or(d), |d| format!("{d} days from 1970-01-01 is out of range"))
    }

    /// The amount stored in `<name>_mantissa`, `<name>_scale` and
    /// `<name>_text`.
    pub fn amounts(&self, name: &str) -> Result<Vec<Decimal>, Error> {
        let (m, s, t) = (format!("{name}_mantissa"), format!("{name}_scale"), format!("{name}_text"));
        let mantissas = self.column(&m, &DataType::Int64)?.i64().map_err(|e| self.error(e.to_string()))?;
        let scales = self.column(&s, &DataType::UInt32)?.u32().map_err(|e| self.error(e.to_string()))?;
        let texts = self.column(&t, &DataType::String)?.str().map_err(|e| self.error(e.to_string()))?;
        let beyond_28 = |(_, scale): (i64, u32)| format!("scale {scale} beyond 28");
        if mantissas.null_count() == 0 && scales.null_count() == 0 && texts.null_count() == texts.len() {
            let mantissas = mantissas.downcast_iter().flat_map(|chunk| chunk.values().iter().copied());
            let scales = scales.downcast_iter().flat_map(|chunk| chunk.values().iter().copied());
            let scaled = |(m, s)| scaled_amount(m, s).ok_or((m, s));
            return self.decoded(&s, mantissas.zip(scales), scaled, beyond_28);
        }
        let values = mantissas.iter().zip(scales.iter()).zip(texts.iter());
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
