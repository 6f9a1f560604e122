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
pub fn plan(mut letters: Vec<Letter>) -> Result<Plan, RenderError> {
    letters.sort_by(|a, b| (&a.claim_id, a.kind).cmp(&(&b.claim_id, b.kind)));
    let files = files_of(&letters);
    // Only letters sharing a batch (paper) need their page counts (the layout).
    let paper: Vec<&Letter> = letters.iter().filter(|l| l.channel == Channel::Paper).collect();
    let mut page_counts = page_counts(&paper)?.into_iter();
    for (name, idx) in &files {
        let mut page = 1;
        for &i in idx {
            letters[i].file = name.clone();
            letters[i].page = page;
            if letters[i].channel == Channel::Paper {
                page += page_counts.next().unwrap_or(1);
            }
        }
    }
    Ok(Plan { letters, files })
}

/// The plan of a committed day from its letters as planned then
/// (`letters.jsonl`, in manifest order with `file` and `page` set), without
/// laying them out again: the files follow from order and channels, the
/// pages are taken as written and every one is checked while rendering.
///
/// # Errors
/// [`RenderError::Pdf`] if the letters are not in manifest order or a
/// letter's file is not the one its place gives.
pub fn replan(letters: Vec<Letter>) -> Result<Plan, RenderError> {
    if letters.windows(2).any(|w| (&w[0].claim_id, w[0].kind) > (&w[1].claim_id, w[1].kind)) {
        return Err(RenderError::Pdf("the letters are not in manifest order (claim id, kind)".into()));
    }
    let files = files_of(&letters);
    for (name, idx) in &files {
        if let Some(l) = idx.iter().map(|&i| &letters[i]).find(|l| l.file != *name) {
            return Err(RenderError::Pdf(format!("letter {} is in {}, its place gives {name}", l.letter_id, l.file)));
        }
    }
    Ok(Plan { letters, files })
}

/// The files for letters in manifest order: paper letters in batches of
/// `BATCH_SIZE` (`batch-0001.pdf`, ...), then one file per other letter.
fn files_of(letters: &[Letter]) -> Vec<(String, Vec<usize>)> {
    let paper: Vec<usize> = (0..letters.len()).filter(|&i| letters[i].channel == Channel::Paper).collect();
    let mut files: Vec<(String, Vec<usize>)> = paper
        .chunks(BATCH_SIZE)
        .enumerate()
        .map(|(n, chunk)| (format!("batch-{:04}.pdf", n + 1), chunk.to_vec()))
        .collect();
    files.extend(
        letters
            .iter()
            .enumerate()
            .filter(|(_, l)| l.channel != Channel::Paper)
            .map(|(i, l)| (format!("{}.pdf", l.letter_id), vec![i])),
    );
    files
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

/// Renders file `n` of the plan (`plan.files[n]`): the bytes
/// [`render_planned`] gives for it.
///
/// # Errors
/// As [`render_planned`]; [`RenderError::Empty`] if there is no file `n`.
pub fn render_planned_file(plan: &Plan, n: usize) -> Result<Vec<u8>, RenderError> {
    let (name, idx) = plan.files.get(n).ok_or(RenderError::Empty)?;
    render_file(plan, name, idx)
}

fn render_file(plan: &Plan, name: &str, idx: &[usize]) -> Result<Vec<u8>, RenderError> {
    let letters: Vec<&Letter> = idx.iter().filter_map(|&i| plan.letters.get(i)).collect();
    let (bytes, firsts) = render_refs(&letters)?;
    if firsts.len() != idx.len() || firsts.iter().zip(&letters).any(|(p, l)| *p != l.page) {
        return Err(RenderError::Pdf(format!("{name}: pages differ from the plan")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::letters::tests::sample;
    use crate::model::LetterKind;

    /// Paper letters of several claims (one long enough for two pages) and
    /// one e-mail letter, in reverse manifest order.
    fn letters() -> Vec<Letter> {
        let mut out = Vec::new();
        for n in (1..=BATCH_SIZE + 2).rev() {
            let long = if n == 2 { "Konsulttimmar ".repeat(400) } else { "Konsulttimmar".into() };
            let mut l = sample(LetterKind::Reminder, &long);
            l.claim_id = format!("ACME-F{n:05}");
            l.letter_id = format!("L{n:05}");
            if n == 3 {
                l.channel = Channel::Email;
            }
            out.push(l);
        }
        out
    }

    #[test]
    fn plans_batches_pages_and_single_files_and_replans_without_layout() {
        let plan = plan(letters()).unwrap();
        let names: Vec<&str> = plan.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["batch-0001.pdf", "batch-0002.pdf", "L00003.pdf"]);
        assert_eq!(plan.files[0].1.len(), BATCH_SIZE);
        let pages: Vec<u32> = plan.letters.iter().take(4).map(|l| l.page).collect();
        let long_pages = page_counts(&[&plan.letters[1]]).unwrap()[0];
        assert!(long_pages >= 2, "{long_pages}");
        assert_eq!(pages, [1, 2, 1, 2 + long_pages], "the e-mail letter (third) is page 1 of its own file");
        assert_eq!(replan(plan.letters.clone()).unwrap(), plan);

        let mut moved = plan.letters.clone();
        moved[0].file = "batch-0002.pdf".into();
        assert!(replan(moved).unwrap_err().to_string().contains("its place gives batch-0001.pdf"));
        let mut unsorted = plan.letters.clone();
        unsorted.swap(0, 1);
        assert!(replan(unsorted).is_err());
        // A wrong page is found while rendering.
        let mut paged = plan.letters.clone();
        paged[3].page += 1;
        let bad = replan(paged).unwrap();
        assert!(render_planned(&bad).unwrap_err().to_string().contains("pages differ from the plan"));
    }
}
