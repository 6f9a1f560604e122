//! Page layout and PDF drawing with krilla.
//!
//! Layout is done first, into a list of drawing operations per page (so the
//! footer can say "Sida 1 av 2"), then drawn. Coordinates are PDF points with
//! the origin at the top left and y growing downwards (krilla's convention);
//! text is placed by its baseline.

use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

use super::text::{self, keep, wording_for, wrap, Wording, NBSP};
use crate::model::Letter;

static REGULAR_TTF: &[u8] = include_bytes!("../../../fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../../fonts/DejaVuSans-Bold.ttf");

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
/// A4 width in points.
pub const PAGE_W: f32 = 595.28;
/// A4 height in points.
pub const PAGE_H: f32 = 841.89;

/// The address window of a C5/DL window envelope (SS 3630) in points:
/// left, top, width, height (20 mm from the left, 45 mm from the top,
/// 90 × 45 mm). The recipient's address is printed inside it.
pub const ADDRESS_WINDOW: (f32, f32, f32, f32) = (20.0 * MM, 45.0 * MM, 90.0 * MM, 45.0 * MM);

const LEFT: f32 = 25.0 * MM;
const RIGHT: f32 = PAGE_W - 20.0 * MM;
const CONTENT_W: f32 = RIGHT - LEFT;
/// Left edge of the header block at the top right.
const HEAD_X: f32 = 118.0 * MM;
/// Top of the body on the first page.
const BODY_TOP: f32 = 94.0 * MM;
/// Top of the payment slip.
const SLIP_TOP: f32 = 250.0 * MM;
const SLIP_H: f32 = 86.0;
/// Body limits on continuation pages.
const CONT_TOP: f32 = 60.0;
const CONT_BOTTOM: f32 = 785.0;
const FOOTER_Y: f32 = 814.0;

const GRAY: u8 = 90;

/// Errors while rendering letters.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An embedded font could not be read.
    #[error("font {0}: cannot read the embedded TrueType font")]
    Font(&'static str),
    /// krilla failed to build or serialise the PDF.
    #[error("pdf: {0}")]
    Pdf(String),
    /// `render_batch` was given no letters (a PDF needs at least one page).
    #[error("no letters to render")]
    Empty,
}

/// Renders one letter as a one-or-more-page A4 PDF.
///
/// The output is deterministic: the same letter gives byte-identical bytes
/// (no creation date; the document id is derived from the letter id).
///
/// # Errors
/// [`RenderError`] if the fonts cannot be read or krilla fails.
pub fn render_letter(letter: &Letter) -> Result<Vec<u8>, RenderError> {
    render_batch(std::slice::from_ref(letter)).map(|(bytes, _)| bytes)
}

/// The number of pages each letter takes (layout only, nothing drawn): what
/// a batch's page numbers are planned from when rendering is deferred.
///
/// # Errors
/// [`RenderError::Font`] if the fonts cannot be read.
pub fn page_counts(letters: &[&Letter]) -> Result<Vec<u32>, RenderError> {
    use rayon::prelude::*;
    // Chunks in parallel (order kept), fonts loaded once per chunk.
    let chunks: Vec<Vec<u32>> = letters
        .par_chunks(256)
        .map(|chunk| {
            let fonts = Fonts::load()?;
            chunk
                .iter()
                .map(|l| u32::try_from(layout(l, &fonts).len()).map_err(|e| RenderError::Pdf(e.to_string())))
                .collect::<Result<Vec<u32>, RenderError>>()
        })
        .collect::<Result<_, _>>()?;
    Ok(chunks.concat())
}

/// Renders many letters into one batch PDF (each letter starts on a new
/// page); returns the bytes and, for each letter, its 1-based first page
/// number.
///
/// # Errors
/// [`RenderError::Empty`] for no letters, otherwise as [`render_letter`].
pub fn render_batch(letters: &[Letter]) -> Result<(Vec<u8>, Vec<u32>), RenderError> {
    let first = letters.first().ok_or(RenderError::Empty)?;
    let fonts = Fonts::load()?;
    let mut document = Document::new_with(SerializeSettings::default());
    let mut firsts = Vec::with_capacity(letters.len());
    let mut page_no: u32 = 1;
    for letter in letters {
        firsts.push(page_no);
        let pages = layout(letter, &fonts);
        let n = u32::try_from(pages.len()).map_err(|e| RenderError::Pdf(e.to_string()))?;
        for ops in &pages {
            draw_page(&mut document, &fonts, ops)?;
        }
        page_no += n;
    }
    let w = wording_for(&first.language);
    let (title, id) = if letters.len() == 1 {
        (format!("{} {}", w.title(first.kind), first.invoice_number), first.letter_id.clone())
    } else {
        let ids: Vec<&str> = letters.iter().map(|l| l.letter_id.as_str()).collect();
        (format!("{} brev", letters.len()), ids.join("\n"))
    };
    document.set_metadata(
        Metadata::new()
            .title(title)
            .language(w.code().to_string())
            .creator("inkasso".to_string())
            .authors(vec![first.sender.agency_name.clone()])
            .document_id(id),
    );
    let bytes = document.finish().map_err(|e| RenderError::Pdf(e.to_string()))?;
    Ok((bytes, firsts))
}

// ---------------------------------------------------------------------------
// Fonts and text measurement

/// Advance widths from a TrueType font (cmap format 4 and hmtx), enough to
/// measure text for wrapping and right alignment. Kerning is ignored.
struct Metrics {
    data: &'static [u8],
    units_per_em: f32,
    num_h_metrics: usize,
    hmtx: usize,
    cmap4: usize,
    /// Advance widths of U+0000..U+024F (Latin and Latin Extended), looked
    /// up once: measuring text is the hot spot of laying out letters.
    latin: Vec<u16>,
}

/// Characters whose advance widths are kept in `Metrics::latin`.
const LATIN_TABLE: u32 = 0x250;

fn rd16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn rd32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*d.get(at)?, *d.get(at + 1)?, *d.get(at + 2)?, *d.get(at + 3)?]))
}

impl Metrics {
    fn parse(data: &'static [u8]) -> Option<Metrics> {
        let num_tables = usize::from(rd16(data, 4)?);
        let (mut head, mut hhea, mut hmtx, mut cmap) = (None, None, None, None);
        for i in 0..num_tables {
            let rec = 12 + 16 * i;
            let tag = data.get(rec..rec + 4)?;
            let off = usize::try_from(rd32(data, rec + 8)?).ok()?;
            match tag {
                b"head" => head = Some(off),
                b"hhea" => hhea = Some(off),
                b"hmtx" => hmtx = Some(off),
                b"cmap" => cmap = Some(off),
                _ => {}
            }
        }
        let (head, hhea, hmtx, cmap) = (head?, hhea?, hmtx?, cmap?);
        let mut cmap4 = None;
        for j in 0..usize::from(rd16(data, cmap + 2)?) {
            let rec = cmap + 4 + 8 * j;
            let (platform, encoding) = (rd16(data, rec)?, rd16(data, rec + 2)?);
            let sub = cmap + usize::try_from(rd32(data, rec + 4)?).ok()?;
            if matches!((platform, encoding), (3, 1) | (0, 3)) && rd16(data, sub)? == 4 {
                cmap4 = Some(sub);
                break;
            }
        }
        let mut m = Metrics {
            data,
            units_per_em: f32::from(rd16(data, head + 18)?),
            num_h_metrics: usize::from(rd16(data, hhea + 34)?).max(1),
            hmtx,
            cmap4: cmap4?,
            latin: Vec::new(),
        };
        m.latin = (0..LATIN_TABLE).map(|u| char::from_u32(u).map_or(0, |c| m.advance(m.glyph(c)))).collect();
        Some(m)
    }

    fn glyph(&self, c: char) -> u16 {
        self.glyph_opt(c).unwrap_or(0)
    }

    fn glyph_opt(&self, c: char) -> Option<u16> {
        let code = u16::try_from(u32::from(c)).ok()?;
        let (d, t) = (self.data, self.cmap4);
        let seg_x2 = usize::from(rd16(d, t + 6)?);
        let ends = t + 14;
        let starts = ends + seg_x2 + 2;
        let deltas = starts + seg_x2;
        let ranges = deltas + seg_x2;
        // Binary search the first segment whose end >= code.
        let (mut lo, mut hi) = (0usize, seg_x2 / 2);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if rd16(d, ends + 2 * mid)? < code {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let i = lo;
        let start = rd16(d, starts + 2 * i)?;
        if code < start {
            return None;
        }
        let delta = rd16(d, deltas + 2 * i)?;
        let range = usize::from(rd16(d, ranges + 2 * i)?);
        if range == 0 {
            return Some(code.wrapping_add(delta));
        }
        let at = ranges + 2 * i + range + 2 * usize::from(code - start);
        let g = rd16(d, at)?;
        (g != 0).then(|| g.wrapping_add(delta))
    }

    fn advance(&self, gid: u16) -> u16 {
        let i = usize::from(gid).min(self.num_h_metrics - 1);
        rd16(self.data, self.hmtx + 4 * i).unwrap_or(0)
    }

    /// Width of `s` at `size` points.
    fn width(&self, s: &str, size: f32) -> f32 {
        let units: u32 = s
            .chars()
            .map(|c| match self.latin.get(c as usize) {
                Some(w) => u32::from(*w),
                None => u32::from(self.advance(self.glyph(c))),
            })
            .sum();
        units as f32 / self.units_per_em * size
    }
}

struct Fonts {
    regular: Font,
    bold: Font,
    regular_m: Metrics,
    bold_m: Metrics,
}

impl Fonts {
    fn load() -> Result<Fonts, RenderError> {
        Ok(Fonts {
            regular: Font::new(REGULAR_TTF.into(), 0).ok_or(RenderError::Font("DejaVuSans"))?,
            bold: Font::new(BOLD_TTF.into(), 0).ok_or(RenderError::Font("DejaVuSans-Bold"))?,
            regular_m: Metrics::parse(REGULAR_TTF).ok_or(RenderError::Font("DejaVuSans"))?,
            bold_m: Metrics::parse(BOLD_TTF).ok_or(RenderError::Font("DejaVuSans-Bold"))?,
        })
    }

    fn width(&self, s: &str, size: f32, bold: bool) -> f32 {
        if bold {
            self.bold_m.width(s, size)
        } else {
            self.regular_m.width(s, size)
        }
    }

    /// The largest size from `size` down to `min` at which `s` fits `max_w`.
    fn fit(&self, s: &str, size: f32, min: f32, max_w: f32, bold: bool) -> f32 {
        let w = self.width(s, size, bold);
        if w <= max_w || w <= 0.0 {
            size
        } else {
            (size * max_w / w).max(min)
        }
    }
}

// ---------------------------------------------------------------------------
// Layout

#[derive(Clone, Debug)]
enum Op {
    Text { x: f32, y: f32, size: f32, bold: bool, gray: bool, s: String },
    Line { x1: f32, y1: f32, x2: f32, y2: f32, w: f32 },
    Rect { x: f32, y: f32, w: f32, h: f32, line: f32, fill: Option<u8> },
}

/// Text style of a flowing paragraph.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    leading: f32,
    bold: bool,
    gray: bool,
}

const BODY: Style = Style { size: 9.5, leading: 12.0, bold: false, gray: false };
const SMALL: Style = Style { size: 8.5, leading: 10.5, bold: false, gray: false };

/// Flowing text over pages: `y` is the baseline of the last line drawn.
struct Flow<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
    bottom: f32,
    continued: String,
    /// "Continued on the next page", printed at the foot of a full page.
    more: &'static str,
}

impl Flow<'_> {
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn text(&mut self, x: f32, y: f32, st: Style, s: &str) {
        if s.is_empty() {
            return;
        }
        self.ops().push(Op::Text { x, y, size: st.size, bold: st.bold, gray: st.gray, s: s.to_string() });
    }

    fn new_page(&mut self) {
        let more = self.more;
        let st = Style { size: 7.5, leading: 0.0, bold: false, gray: true };
        let y = self.bottom + 9.0;
        self.right_text(RIGHT, y, st, more);
        self.pages.push(Vec::new());
        let head = self.continued.clone();
        let st = Style { size: 8.0, leading: 10.0, bold: false, gray: true };
        self.text(LEFT, 40.0, st, &head);
        self.ops().push(Op::Line { x1: LEFT, y1: 45.0, x2: RIGHT, y2: 45.0, w: 0.4 });
        self.y = CONT_TOP;
        self.bottom = CONT_BOTTOM;
    }

    /// Moves to the next line of height `h`, starting a page when needed.
    fn advance(&mut self, h: f32) {
        if self.y + h > self.bottom {
            self.new_page();
        }
        self.y += h;
    }

    /// Starts a new page unless `h` more points fit on this one (keeps a
    /// block together).
    fn keep(&mut self, h: f32) {
        if self.y + h > self.bottom {
            self.new_page();
        }
    }

    fn gap(&mut self, h: f32) {
        self.y = (self.y + h).min(self.bottom);
    }

    /// A wrapped paragraph at `x` within `width`.
    fn para(&mut self, x: f32, width: f32, st: Style, s: &str) {
        let fonts = self.fonts;
        let measure = |t: &str| fonts.width(t, st.size, st.bold);
        for line in wrap(s, width, &measure) {
            self.advance(st.leading);
            let y = self.y;
            self.text(x, y, st, &line);
        }
    }

    /// A label in a fixed column and a wrapped value beside it; the first
    /// value line shares the label's baseline.
    fn labelled(&mut self, label: &str, label_w: f32, st: Style, value: &str) {
        let fonts = self.fonts;
        let measure = |t: &str| fonts.width(t, st.size, st.bold);
        let lines = wrap(value, CONTENT_W - label_w, &measure);
        for (i, line) in lines.iter().enumerate() {
            self.advance(st.leading);
            let y = self.y;
            if i == 0 {
                self.text(LEFT, y, Style { bold: true, ..st }, label);
            }
            self.text(LEFT + label_w, y, st, line);
        }
    }

    fn right_text(&mut self, right: f32, y: f32, st: Style, s: &str) {
        let w = self.fonts.width(s, st.size, st.bold);
        self.text(right - w, y, st, s);
    }
}

/// Lays out one letter into pages of drawing operations.
fn layout(l: &Letter, fonts: &Fonts) -> Vec<Vec<Op>> {
    let w = wording_for(&l.language);
    let mut f = Flow {
        fonts,
        pages: vec![Vec::new()],
        y: BODY_TOP,
        bottom: SLIP_TOP - 14.0,
        continued: w.continued(l),
        more: w.continues(),
    };
    letterhead(&mut f, w, l);
    address_window(&mut f, w, l);
    slip(&mut f, w, l);

    // Parties and the claim.
    let label_w = 88.0;
    for (label, value) in w.parties(l) {
        f.labelled(&label, label_w, SMALL, &value);
    }
    f.gap(10.0);
    for p in w.intro(l) {
        f.para(LEFT, CONTENT_W, BODY, &p);
        f.gap(5.0);
    }
    f.gap(4.0);
    spec_table(&mut f, w, l);
    f.gap(10.0);
    for p in w.payment(l).iter().chain(w.legal(l).iter()) {
        f.para(LEFT, CONTENT_W, BODY, p);
        f.gap(5.0);
    }
    f.gap(6.0);
    let closing = w.closing(l);
    f.keep(BODY.leading * closing.len() as f32);
    for line in closing {
        f.para(LEFT, CONTENT_W, BODY, &line);
    }

    let mut pages = f.pages;
    let n = pages.len();
    for (i, ops) in pages.iter_mut().enumerate() {
        footer(ops, fonts, w, l, i + 1, n);
    }
    pages
}

fn letterhead(f: &mut Flow<'_>, w: &dyn Wording, l: &Letter) {
    let s = &l.sender;
    let name_st = Style {
        size: f.fonts.fit(&s.agency_name, 15.0, 9.0, HEAD_X - LEFT - 10.0, true),
        leading: 0.0,
        bold: true,
        gray: false,
    };
    f.text(LEFT, 20.0 * MM, name_st, &s.agency_name);
    let small = Style { size: 8.0, leading: 10.0, bold: false, gray: true };
    let mut y = 20.0 * MM + 13.0;
    for line in [s.agency_address.clone(), format!("Org.nr {}", s.agency_org_no)] {
        let st = Style { size: f.fonts.fit(&line, 8.0, 5.5, HEAD_X - LEFT - 10.0, false), ..small };
        f.text(LEFT, y, st, &line);
        y += small.leading;
    }

    // Title and reference fields at the top right.
    let title = w.title(l.kind);
    let title_st = Style { size: 16.0, leading: 0.0, bold: true, gray: false };
    f.text(HEAD_X, 22.0 * MM, title_st, title);
    let label_w = 78.0;
    let mut y = 22.0 * MM + 22.0;
    for (label, value) in w.header_fields(l) {
        let label_st = Style { size: 8.5, leading: 12.0, bold: false, gray: true };
        f.text(HEAD_X, y, label_st, &label);
        let size = f.fonts.fit(&value, 9.0, 5.5, RIGHT - HEAD_X - label_w, false);
        f.text(HEAD_X + label_w, y, Style { size, leading: 12.0, bold: false, gray: false }, &value);
        y += 12.0;
    }
}

fn address_window(f: &mut Flow<'_>, w: &dyn Wording, l: &Letter) {
    let (wx, wy, ww, wh) = ADDRESS_WINDOW;
    let x = wx + 5.0 * MM;
    let max_w = ww - 10.0 * MM;
    let ret = w.return_address(l);
    let ret_size = f.fonts.fit(&ret, 7.0, 5.0, max_w, false);
    let ret_st = Style { size: ret_size, leading: 0.0, bold: false, gray: true };
    f.text(x, wy + 5.0 * MM, ret_st, &ret);
    f.ops().push(Op::Line { x1: x, y1: wy + 5.0 * MM + 3.0, x2: x + max_w, y2: wy + 5.0 * MM + 3.0, w: 0.3 });

    let d = &l.debtor;
    let mut lines = vec![d.name.trim().to_string(), d.address1.trim().to_string()];
    if !d.address2.trim().is_empty() {
        lines.push(d.address2.trim().to_string());
    }
    lines.push(text::postal_line(&d.postcode, &d.city, &d.country));
    if let Some(c) = text::country_line(&d.country) {
        lines.push(c);
    }
    // Shrink lines that are too wide, down to 8 pt; wrap what still does
    // not fit. Tighten the leading when there are many lines, so that all
    // stay inside the window.
    let fonts = f.fonts;
    let mut printed: Vec<(String, f32)> = Vec::new();
    for line in lines.iter().filter(|s| !s.is_empty()) {
        let size = fonts.fit(line, 10.5, 8.0, max_w, false);
        let measure = |t: &str| fonts.width(t, size, false);
        for part in wrap(line, max_w, &measure) {
            printed.push((part, size));
        }
    }
    let room = wy + wh - 3.0 * MM - (wy + 14.0 * MM);
    let leading = if printed.len() > 1 { (room / (printed.len() - 1) as f32).min(13.0) } else { 13.0 };
    let mut y = wy + 14.0 * MM;
    for (line, size) in &printed {
        let st = Style { size: size.min(leading), leading, bold: false, gray: false };
        f.text(x, y, st, line);
        y += leading;
    }
}

fn spec_table(f: &mut Flow<'_>, w: &dyn Wording, l: &Letter) {
    let head = Style { size: 10.5, leading: 15.0, bold: true, gray: false };
    // Keep the heading with the first rows.
    f.keep(head.leading + 3.0 * BODY.leading);
    f.advance(head.leading);
    let y = f.y;
    f.text(LEFT, y, head, w.spec_heading());
    f.ops().push(Op::Line { x1: LEFT, y1: y + 4.0, x2: RIGHT, y2: y + 4.0, w: 0.6 });
    f.gap(3.0);
    let amount_w = 110.0;
    for row in w.spec_rows(l) {
        if row.total {
            f.advance(4.0);
            let y = f.y;
            f.ops().push(Op::Line { x1: LEFT, y1: y, x2: RIGHT, y2: y, w: 0.6 });
        }
        let (x, st) = if row.detail {
            (LEFT + 14.0, Style { gray: true, ..SMALL })
        } else if row.total {
            (LEFT, Style { size: 10.5, leading: 14.0, bold: true, gray: false })
        } else {
            (LEFT, BODY)
        };
        let label_w = if row.amount.is_empty() { RIGHT - x } else { RIGHT - x - amount_w };
        let fonts = f.fonts;
        let measure = |t: &str| fonts.width(t, st.size, st.bold);
        let lines = wrap(&row.label, label_w, &measure);
        for (i, line) in lines.iter().enumerate() {
            f.advance(st.leading);
            let y = f.y;
            f.text(x, y, st, line);
            if i == 0 && !row.amount.is_empty() {
                f.right_text(RIGHT, y, st, &row.amount);
            }
        }
    }
}

fn slip(f: &mut Flow<'_>, w: &dyn Wording, l: &Letter) {
    let [heading, bg, ocr, amount, pay_by, payee, payer] = w.slip_labels();
    let top = SLIP_TOP;
    let strip = 16.0;
    let row_h = (SLIP_H - strip) / 2.0;
    let ops = f.ops();
    ops.push(Op::Rect { x: LEFT, y: top, w: CONTENT_W, h: strip, line: 0.0, fill: Some(225) });
    ops.push(Op::Rect { x: LEFT, y: top, w: CONTENT_W, h: SLIP_H, line: 1.0, fill: None });
    ops.push(Op::Line { x1: LEFT, y1: top + strip, x2: RIGHT, y2: top + strip, w: 0.6 });
    ops.push(Op::Line { x1: LEFT, y1: top + strip + row_h, x2: RIGHT, y2: top + strip + row_h, w: 0.6 });
    let head_st = Style { size: 9.0, leading: 0.0, bold: true, gray: false };
    f.text(LEFT + 6.0, top + 11.5, head_st, heading);

    let unit = w.unit(l.currency.code());
    let cells1: [(&str, String, f32); 4] = [
        (bg, l.sender.bankgiro.clone(), 0.22),
        (ocr, l.reference.clone(), 0.33),
        (amount, keep(&format!("{} {unit}", text::fmt_amount_sv(l.amount_due))), 0.25),
        (pay_by, text::fmt_date(l.pay_by), 0.20),
    ];
    let cells2: [(&str, String, f32); 2] =
        [(payee, l.sender.agency_name.clone(), 0.5), (payer, l.debtor.name.clone(), 0.5)];
    let label_st = Style { size: 7.0, leading: 0.0, bold: false, gray: true };
    for (row, cells) in [(0usize, &cells1[..]), (1, &cells2[..])] {
        let y0 = top + strip + row_h * row as f32;
        let mut x0 = LEFT;
        for (i, (label, value, frac)) in cells.iter().enumerate() {
            let cw = CONTENT_W * frac;
            if i > 0 {
                f.ops().push(Op::Line { x1: x0, y1: y0, x2: x0, y2: y0 + row_h, w: 0.6 });
            }
            f.text(x0 + 6.0, y0 + 9.5, label_st, label);
            let big = if row == 0 { 11.5 } else { 9.5 };
            let bold = row == 0;
            let size = f.fonts.fit(value, big, 5.5, cw - 12.0, bold);
            let st = Style { size, leading: 0.0, bold, gray: false };
            f.text(x0 + 6.0, y0 + 26.0, st, value);
            x0 += cw;
        }
    }
}

fn footer(ops: &mut Vec<Op>, fonts: &Fonts, w: &dyn Wording, l: &Letter, page: usize, n: usize) {
    let s = &l.sender;
    let parts = [
        s.agency_name.clone(),
        s.agency_address.clone(),
        format!("Org.nr {}", s.agency_org_no),
        format!("Tel {}", s.agency_phone),
        s.agency_email.clone(),
        format!("Bankgiro {}", s.bankgiro),
    ];
    let line: Vec<&str> = parts.iter().map(String::as_str).filter(|p| !p.trim().is_empty()).collect();
    let line = line.join(" \u{b7} ");
    let page_s = w.page_of(page, n);
    let page_w = fonts.width(&page_s, 7.5, false);
    let size = fonts.fit(&line, 7.0, 4.5, CONTENT_W - page_w - 12.0, false);
    ops.push(Op::Line { x1: LEFT, y1: FOOTER_Y - 10.0, x2: RIGHT, y2: FOOTER_Y - 10.0, w: 0.4 });
    ops.push(Op::Text { x: LEFT, y: FOOTER_Y, size, bold: false, gray: true, s: line });
    ops.push(Op::Text { x: RIGHT - page_w, y: FOOTER_Y, size: 7.5, bold: false, gray: true, s: page_s });
}

// ---------------------------------------------------------------------------
// Drawing

fn draw_page(doc: &mut Document, fonts: &Fonts, ops: &[Op]) -> Result<(), RenderError> {
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError::Pdf("bad page size".into()))?;
    let mut page = doc.start_page_with(settings);
    let mut surface = page.surface();
    for op in ops {
        draw_op(&mut surface, fonts, op);
    }
    surface.finish();
    page.finish();
    Ok(())
}

fn fill(gray: u8) -> Fill {
    Fill { paint: luma::Color::new(gray).into(), ..Fill::default() }
}

fn stroke(width: f32) -> Stroke {
    Stroke { width, ..Stroke::default() }
}

fn draw_op(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text { x, y, size, bold, gray, s } => {
            let s: String = s.chars().map(|c| if c == NBSP { ' ' } else { c }).collect();
            surface.set_stroke(None);
            surface.set_fill(Some(fill(if *gray { GRAY } else { 0 })));
            let font = if *bold { fonts.bold.clone() } else { fonts.regular.clone() };
            surface.draw_text(Point::from_xy(*x, *y), font, *size, &s, false, TextDirection::LeftToRight);
        }
        Op::Line { x1, y1, x2, y2, w } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(stroke(*w)));
                surface.draw_path(&path);
            }
        }
        Op::Rect { x, y, w, h, line, fill: f } => {
            let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else {
                return;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(rect);
            if let Some(path) = pb.finish() {
                surface.set_fill(f.map(fill));
                surface.set_stroke((*line > 0.0).then(|| stroke(*line)));
                surface.draw_path(&path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::letters::tests::sample;
    use crate::model::LetterKind;

    /// Text boxes: left, top, right, bottom (approximate ascent/descent).
    fn boxes(fonts: &Fonts, ops: &[Op]) -> Vec<(f32, f32, f32, f32, String)> {
        ops.iter()
            .filter_map(|op| match op {
                Op::Text { x, y, size, bold, s, .. } => {
                    Some((*x, y - size * 0.75, x + fonts.width(s, *size, *bold), y + size * 0.2, s.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn check_layout(l: &Letter) -> usize {
        let fonts = Fonts::load().unwrap();
        let pages = layout(l, &fonts);
        for (p, ops) in pages.iter().enumerate() {
            let b = boxes(&fonts, ops);
            for (i, (x0, y0, x1, y1, s)) in b.iter().enumerate() {
                assert!(*x0 >= 20.0 * MM - 0.01, "page {p}: {s:?} left of margin");
                assert!(*x1 <= PAGE_W - 20.0 * MM + 0.5, "page {p}: {s:?} off the right");
                assert!(*y0 > 10.0 * MM && *y1 < PAGE_H - 8.0 * MM, "page {p}: {s:?}");
                let (wx, wy, ww, wh) = ADDRESS_WINDOW;
                if p == 0 && *y0 > wy && *y0 < wy + wh && *x0 < wx + ww {
                    assert!(*x1 <= wx + ww && *y1 <= wy + wh, "{s:?} outside the window");
                }
                for (a0, b0, a1, b1, t) in &b[i + 1..] {
                    let overlap = x0 < a1 && a0 < x1 && y0 < b1 && b0 < y1;
                    assert!(!overlap, "page {p}: {s:?} overlaps {t:?}");
                }
            }
        }
        pages.len()
    }

    #[test]
    fn nothing_overlaps_or_leaves_the_page() {
        assert_eq!(check_layout(&sample(LetterKind::Collection, "Kort")), 1);
        assert_eq!(check_layout(&sample(LetterKind::Reminder, "Kort")), 1);
        let mut l = sample(LetterKind::Collection, &"Mycket lång text. ".repeat(300));
        l.debtor.name = "Anna-Karin Åkerström-Ölundsdotter Näslund med ett mycket långt namn".into();
        l.debtor.address2 = "c/o Bergström, Lägenhet 1102, Trappuppgång B, våning 11".into();
        l.debtor.country = "NO".into();
        l.sender.creditor_name = "Långt Bolagsnamn ".repeat(8);
        l.invoice_number = "INV-2024-000000000001234567890".into();
        assert!(check_layout(&l) >= 2);
        // Words longer than a line are broken, not cut.
        let l = sample(LetterKind::Collection, &"x".repeat(1000));
        check_layout(&l);
    }

    #[test]
    fn long_description_is_not_cut() {
        let fonts = Fonts::load().unwrap();
        let desc = format!("{}SLUTORD", "ord ".repeat(249));
        let pages = layout(&sample(LetterKind::Collection, &desc), &fonts);
        let words: usize = pages
            .iter()
            .flat_map(|ops| boxes(&fonts, ops))
            .map(|b| b.4.split(' ').filter(|w| *w == "ord").count())
            .sum();
        assert_eq!(words, 249);
        assert!(pages.iter().flat_map(|ops| boxes(&fonts, ops)).any(|b| b.4.contains("SLUTORD")));
    }

    #[test]
    fn measures_dejavu() {
        let fonts = Fonts::load().unwrap();
        // DejaVu Sans: 'a' and 'ö' have advances; wider text is wider.
        let a = fonts.width("a", 10.0, false);
        assert!(a > 4.0 && a < 8.0, "{a}");
        assert!(fonts.width("Åsa Öberg", 10.0, false) > fonts.width("Asa", 10.0, false));
        assert!(fonts.width("W", 10.0, true) > fonts.width("W", 10.0, false));
        assert!(fonts.regular_m.glyph('ä') != 0);
        assert!(fonts.regular_m.glyph('\u{2013}') != 0);
    }
}
