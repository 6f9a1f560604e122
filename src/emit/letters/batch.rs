//! The day's letters as files: paper letters go into batch PDFs for the
//! print shop (`batch-0001.pdf`, at most `BATCH_SIZE` letters each, every
//! letter from a new page); letters sent by e-mail or e-invoice, which the
//! channel sends one by one, get a file of their own (`<letter_id>.pdf`).
//! The manifest's `file` and `page` point into these files.
//!
//! Planning needs only the layout (page counts), so `inkasso letters` can
//! render a committed day later with exactly the bytes the run would have
//! written: the same letters, in the same order, give the same files.

use rayon::prelude::*;

use super::pdf::{page_counts, render_refs, RenderError};
use crate::model::{Channel, Letter};

/// Letters per batch PDF.
pub const BATCH_SIZE: usize = 500;

/// Where each letter goes, and which letters each file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The letters in manifest order (claim id, kind), `file` and `page` set.
    pub letters: Vec<Letter>,
    /// Each file's name and the indexes (into `letters`) it holds, in order.
    pub files: Vec<(String, Vec<usize>)>,
}

/// Sorts the letters (claim id, kind), assigns files and first pages.
///
/// # Errors
/// [`RenderError`] if the fonts cannot be read for the layout.
pub fn plan(letters: &[Letter]) -> Result<Plan, RenderError> {
    let mut sorted: Vec<Letter> = letters.to_vec();
    sorted.sort_by(|a, b| (&a.claim_id, a.kind).cmp(&(&b.claim_id, b.kind)));
    let mut files: Vec<(String, Vec<usize>)> = Vec::new();
    let paper: Vec<usize> = (0..sorted.len()).filter(|&i| sorted[i].channel == Channel::Paper).collect();
    // Only letters sharing a batch need their page counts (the layout).
    let pages = page_counts(&paper.iter().map(|&i| &sorted[i]).collect::<Vec<_>>())?;
    for (n, chunk) in paper.chunks(BATCH_SIZE).enumerate() {
        let name = format!("batch-{:04}.pdf", n + 1);
        let mut page = 1;
        for (k, &i) in chunk.iter().enumerate() {
            sorted[i].file = name.clone();
            sorted[i].page = page;
            page += pages[n * BATCH_SIZE + k];
        }
        files.push((name, chunk.to_vec()));
    }
    for (i, letter) in sorted.iter_mut().enumerate() {
        if letter.channel != Channel::Paper {
            let name = format!("{}.pdf", letter.letter_id);
            letter.file = name.clone();
            letter.page = 1;
            files.push((name, vec![i]));
        }
    }
    Ok(Plan { letters: sorted, files })
}

/// Renders every file of the plan (files in parallel, order kept).
///
/// # Errors
/// [`RenderError`] from the PDF writer, or if a page lands elsewhere than planned.
pub fn render_planned(plan: &Plan) -> Result<Vec<(String, Vec<u8>)>, RenderError> {
    plan.files.par_iter().map(|(name, idx)| Ok((name.clone(), render_file(plan, name, idx)?))).collect()
}

/// Renders every file of the plan, files in parallel, and hands each to
/// `sink` (file name, bytes) as soon as it is rendered, on the rendering
/// thread and in no particular order: the bytes are those
/// [`render_planned`] gives, without holding all files in memory. Stops at
/// the first error.
///
/// # Errors
/// [`RenderError`] as [`render_planned`] (converted into `E`), or the
/// sink's error.
pub fn render_planned_each<E, F>(plan: &Plan, sink: F) -> Result<(), E>
where
    E: From<RenderError> + Send,
    F: Fn(&str, Vec<u8>) -> Result<(), E> + Sync,
{
    plan.files.par_iter().try_for_each(|(name, idx)| sink(name, render_file(plan, name, idx)?))
}

fn render_file(plan: &Plan, name: &str, idx: &[usize]) -> Result<Vec<u8>, RenderError> {
    let letters: Vec<&Letter> = idx.iter().filter_map(|&i| plan.letters.get(i)).collect();
    let (bytes, firsts) = render_refs(&letters)?;
    if firsts.len() != idx.len() || firsts.iter().zip(&letters).any(|(p, l)| *p != l.page) {
        return Err(RenderError::Pdf(format!("{name}: pages differ from the plan")));
    }
    Ok(bytes)
}
